namespace InferMesh.Gateway.Tests;

/// <summary>The gateway over a <see cref="ReplyScriptEngine"/> speaking with Qwen2.5's chat template (Hermes-style tool calls).</summary>
public sealed class ToolGateway : IAsyncLifetime
{
    public const string Model = "qwen-tools";

    internal ReplyScriptEngine Engine { get; } = new(Model, "qwen2.5-instruct.jinja");

    public GatewayHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await GatewayHost.StartAsync(Engine);

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
