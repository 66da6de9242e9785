using InferMesh.Contracts;
using Orleans.TestingHost;

namespace InferMesh.Grains.Tests;

/// <summary>The cluster on three in-process silos with real CPU engines on the golden tiny-llama.</summary>
public sealed class ClusterTests(ThreeSiloCluster fixture) : IClassFixture<ThreeSiloCluster>
{
    private const int ReplyTokens = 12;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Greedy_reply_through_the_cluster_equals_the_bare_engine()
    {
        await using var reference = new BareEngineReference();
        ChatMessage[] conversation = [new("system", "You are terse."), new("user", "Tell me about the river.")];
        var expected = await reference.ReplyAsync(conversation, ReplyTokens);

        var deltas = await TurnAsync("t/greedy", conversation);

        Assert.Equal(expected.ReplyIds, deltas.Where(d => d.TokenId >= 0).Select(d => d.TokenId));
        Assert.Equal(expected.Text, string.Concat(deltas.Select(d => d.Text)));
        Assert.Equal(expected.PromptIds.Count, deltas[^1].Usage!.PromptTokens);
    }

    [Fact]
    public async Task Second_turn_prefills_only_the_new_tokens()
    {
        const string key = "t/prefill";
        await TurnAsync(key, [new("user", "Name three colours.")]);
        var afterFirst = await Session(key).History();
        var engine = fixture.EngineOf(fixture.SiloOf(afterFirst.KvSilo!)).Engine;
        var computedBefore = engine.Stats.PrefillTokensComputed;

        var second = await TurnAsync(key, [new("user", "And three animals?")]);

        var usage = second[^1].Usage!;
        var computed = engine.Stats.PrefillTokensComputed - computedBefore;
        TestContext.Current.TestOutputHelper?.WriteLine($"turn 2: {usage.PromptTokens} prompt tokens, {usage.CachedPromptTokens} cached, {computed} computed; history had {afterFirst.TokenCount}");
        Assert.Equal(afterFirst.KvSilo, (await Session(key).History()).KvSilo);
        Assert.Equal(usage.PromptTokens - usage.CachedPromptTokens, computed);

        // The stored conversation is resident except, at most, the last reply token (sampled but never fed back).
        Assert.InRange(usage.CachedPromptTokens, afterFirst.TokenCount - 1, afterFirst.TokenCount);
    }

    [Fact]
    public async Task Sessions_spread_over_all_silos()
    {
        // The failover test of this class may have killed one silo already; the rest must all get sessions.
        var live = fixture.Cluster.GetActiveSilos().Count();
        await fixture.ReportLoadsAsync();
        var silos = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            var key = $"t/spread-{i}";
            await TurnAsync(key, [new("user", $"Session {i} says hello.")], maxTokens: 2);
            silos.Add((await Session(key).History()).KvSilo!);
        }

        Assert.True(live >= 2);
        Assert.Equal(live, silos.Count);
    }

    [Fact]
    public async Task Fork_copies_the_history_and_reset_forgets_it()
    {
        await TurnAsync("t/original", [new("user", "Remember the number seven.")], maxTokens: 4);

        var forkId = await Session("t/original").Fork("copy");
        await Session("t/original").Reset();

        var copy = await Session($"t/{forkId}").History();
        var original = await Session("t/original").History();
        Assert.Equal(2, copy.Messages.Count);
        Assert.Equal("Remember the number seven.", copy.Messages[0].Content);
        Assert.Empty(original.Messages);
        Assert.Null(original.KvSilo);
    }

    [Fact]
    public async Task Killing_the_silo_of_a_session_moves_it_with_its_history_and_the_same_greedy_replies()
    {
        await using var reference = new BareEngineReference();
        ChatMessage first = new("user", "Describe a quiet morning.");
        ChatMessage second = new("user", "Now describe the evening.");

        // A session on a silo other than the primary (which the test cluster's membership needs alive).
        string key = "";
        SessionHistory history = null!;
        for (var i = 0; ; i++)
        {
            key = $"t/failover-{i}";
            await TurnAsync(key, [first]);
            history = await Session(key).History();
            if (history.KvSilo != fixture.Cluster.Primary!.SiloAddress.ToParsableString())
            {
                break;
            }
        }

        var expectedFirst = await reference.ReplyAsync([first], ReplyTokens);
        Assert.Equal(expectedFirst.Text, history.Messages[1].Content);

        await fixture.Cluster.KillSiloAsync(fixture.SiloOf(history.KvSilo!), Ct);
        var deltas = await RetryUntilTheClusterNoticesAsync(() => TurnAsync(key, [second]));

        var expectedSecond = await reference.ReplyAsync([first, new("assistant", expectedFirst.Text), second], ReplyTokens);
        var after = await Session(key).History();
        TestContext.Current.TestOutputHelper?.WriteLine($"killed {history.KvSilo}; turn 2 ran on {after.KvSilo}: '{expectedSecond.Text}'");
        Assert.Equal(expectedSecond.Text, string.Concat(deltas.Select(d => d.Text)));
        Assert.Equal([first.Content, expectedFirst.Text, second.Content, expectedSecond.Text], after.Messages.Select(m => m.Content));
        Assert.NotEqual(history.KvSilo, after.KvSilo);
    }

    private ISessionGrain Session(string key) => fixture.Client.GetGrain<ISessionGrain>(key);

    private async Task<List<TokenDelta>> TurnAsync(string key, IReadOnlyList<ChatMessage> messages, int maxTokens = ReplyTokens)
    {
        RequestContext.Set(RequestContextKeys.Model, GoldenModel.Name);
        var turn = new ChatTurn { Model = GoldenModel.Name, Messages = messages, Options = new GenerationOptions { Temperature = 0, MaxTokens = maxTokens } };
        return await Session(key).Chat(turn, Ct).ToListAsync(Ct);
    }

    private static async Task<T> RetryUntilTheClusterNoticesAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (DateTime.UtcNow < deadline && ex is not InferenceException { Kind: not InferenceErrorKind.Unavailable })
            {
                await Task.Delay(500, Ct);
            }
        }
    }
}
