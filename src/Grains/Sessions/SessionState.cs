using InferMesh.Contracts;

namespace InferMesh.Grains.Sessions;

/// <summary>A session's stored state (grain storage "sessions"): what is needed to rebuild its KV token for token.</summary>
[GenerateSerializer]
public sealed class SessionState
{
    [Id(0)] public string? Model { get; set; }

    [Id(1)] public List<ChatMessage> Messages { get; set; } = [];

    /// <summary>Exact token ids of every stored turn (prompt and reply), i.e. the KV the engine holds for the session.</summary>
    [Id(2)] public List<int> TokenIds { get; set; } = [];

    /// <summary>The text <see cref="TokenIds"/> stand for; empty when they are not a faithful prefix of the next render.</summary>
    [Id(3)] public string RenderedText { get; set; } = "";

    [Id(4)] public int Turns { get; set; }

    [Id(5)] public DateTimeOffset? UpdatedAt { get; set; }

    public SessionSnapshot ToSnapshot() => new()
    {
        Model = Model,
        Messages = [.. Messages],
        TokenIds = [.. TokenIds],
        RenderedText = RenderedText,
        Turns = Turns,
    };

    public static SessionState From(SessionSnapshot snapshot) => new()
    {
        Model = snapshot.Model,
        Messages = [.. snapshot.Messages],
        TokenIds = [.. snapshot.TokenIds],
        RenderedText = snapshot.RenderedText,
        Turns = snapshot.Turns,
        UpdatedAt = DateTimeOffset.UtcNow,
    };
}
