using InferMesh.Engine.Serving;

namespace InferMesh.Gateway.Tests;

/// <summary>The gateway over <see cref="ToolTemplateEngine"/>.</summary>
public sealed class ToolTemplateGateway : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public string Model => Host.Engine.ModelName;

    public async ValueTask InitializeAsync() =>
        Host = await GatewayHost.StartAsync(new ToolTemplateEngine(InferenceEngine.Load(GoldenModel.Directory(), new EngineOptions { Threads = 1, KvCacheBlocks = 256 })));

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Host.Engine.DisposeAsync();
    }
}
