namespace InferMesh.Gateway.Tests;

/// <summary>The gateway over a <see cref="ReplyScriptEngine"/> speaking with Mistral v0.3's chat template (<c>[TOOL_CALLS]</c>, 9-character call ids).</summary>
public sealed class MistralToolGateway : IAsyncLifetime
{
    public const string Model = "mistral-tools";

    internal ReplyScriptEngine Engine { get; } = new(Model, "mistral-instruct-v0.3.jinja");

    public GatewayHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await GatewayHost.StartAsync(Engine);

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
