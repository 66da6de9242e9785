namespace InferMesh.Cli.Cluster;

/// <summary>An OpenAI-compatible gateway; sessions ride on <c>X-Session-Id</c>, so only new messages are sent.</summary>
internal sealed class GatewayChatTarget(Uri baseUrl, string model, string? apiKey) : IChatTarget
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { Timeout = Timeout.InfiniteTimeSpan };

    public string Description => $"gateway {baseUrl} (model {model})";

    public IAsyncEnumerable<StreamedPiece> TurnAsync(string session, IReadOnlyList<(string Role, string Content)> newMessages, int maxTokens, CancellationToken cancellationToken) =>
        new GatewayClient(_http, baseUrl, apiKey).StreamChatAsync(model, newMessages, session, maxTokens, temperature: 0, ignoreEos: true, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
