using InferMesh.Contracts;
using InferMesh.Grains.Sessions;

namespace InferMesh.Grains.Tests;

public sealed class TurnPromptTests
{
    private static readonly ChatMessage System = new("system", "be brief");
    private static readonly ChatMessage User1 = new("user", "hi");
    private static readonly ChatMessage Reply1 = new("assistant", "hello");
    private static readonly ChatMessage User2 = new("user", "how are you?");

    [Fact]
    public void Client_resending_the_whole_history_adds_only_the_new_messages()
    {
        var added = TurnPrompt.NewMessages([System, User1, Reply1], [System, User1, Reply1, User2]);

        Assert.Equal([User2], added);
    }

    [Fact]
    public void Client_sending_only_the_new_turn_adds_it_after_the_history()
    {
        var added = TurnPrompt.NewMessages([System, User1, Reply1], [User2]);

        Assert.Equal([User2], added);
    }

    [Fact]
    public void Messages_that_diverge_from_the_history_are_all_appended()
    {
        var edited = new ChatMessage("user", "hi!");

        var added = TurnPrompt.NewMessages([System, User1, Reply1], [System, edited, Reply1, User2]);

        Assert.Equal(4, added.Count);
    }

    [Fact]
    public void Session_keys_keep_the_tenant_apart_from_the_session_id()
    {
        Assert.Equal(("alice", "a/b"), SessionKeys.Split(SessionKeys.Compose("alice", "a/b")));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("ok-Id_1.2:3@x", true)]
    [InlineData("../etc/passwd", false)]
    [InlineData("with space", false)]
    [InlineData("~ephemeral", false)]
    [InlineData("émoji😀", false)]
    public void Session_ids_are_short_plain_ascii(string id, bool valid)
    {
        Assert.Equal(valid, SessionKeys.IsValidSessionId(id));
    }
}
