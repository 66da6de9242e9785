using InferMesh.Engine.Serving;
using InferMesh.Grains.Engines;
using InferMesh.Silo.Devices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace InferMesh.Silo.Engines;

/// <summary>
/// Loads every configured model on every chosen device before the silo joins the cluster (so the first load report
/// already lists them), and disposes the engines after the silo has left.
/// </summary>
public sealed partial class EngineStartup(
    LocalEngines engines,
    IEngineLoader loader,
    IEnumerable<IDeviceDiscovery> discoveries,
    IOptions<SiloModelOptions> options,
    ILogger<EngineStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(EngineStartup), ServiceLifecycleStage.RuntimeGrainServices, OnStart, OnStop);

    private Task OnStart(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var models = o.Models.Count > 0 ? o.Models.Select(Path.GetFullPath).ToList() : [EmbeddedModel.Resolve("set InferMesh__Models__0 to a Hugging Face model folder.")];
        foreach (var device in DevicePlan.Choose(discoveries, o.Devices))
        {
            foreach (var model in models)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var engine = loader.Load(model, device, o);
                engines.Add(new LocalEngine(engine, device.Name, ModelConfigReader.LayerCount(model)));
                LogLoaded(engine.ModelName, device.Description, engine.Stats.TotalKvBlocks, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }

        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken)
    {
        foreach (var local in engines.All)
        {
            await local.Engine.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} on {Device}: {KvBlocks} KV blocks, {Seconds:F1} s")]
    private partial void LogLoaded(string model, string device, int kvBlocks, double seconds);
}
