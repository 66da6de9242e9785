namespace InferMesh.Cli.Cluster;

/// <summary>Something a benchmark converses with: a gateway over HTTP, or an engine in this process (the overhead baseline).</summary>
internal interface IChatTarget : IAsyncDisposable
{
    string Description { get; }

    /// <summary>Runs one turn of session <paramref name="session"/>, given only the turn's new messages.</summary>
    IAsyncEnumerable<StreamedPiece> TurnAsync(string session, IReadOnlyList<(string Role, string Content)> newMessages, int maxTokens, CancellationToken cancellationToken);
}
