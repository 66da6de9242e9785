using InferMesh.Engine.Serving;

namespace InferMesh.Grains.Engines;

/// <summary>An engine this silo has loaded: one model (or a layer range of it) on one device.</summary>
public sealed class LocalEngine
{
    /// <param name="engine">The loaded engine.</param>
    /// <param name="device">Device name, e.g. <c>cpu:0</c>.</param>
    /// <param name="layerCount">The model's decoder layers (config.json num_hidden_layers).</param>
    /// <param name="firstLayer">First layer this engine runs (0 for a whole model).</param>
    /// <param name="lastLayer">Last layer this engine runs; null for the model's last.</param>
    public LocalEngine(IInferenceEngine engine, string device, int layerCount, int firstLayer = 0, int? lastLayer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layerCount, 1);
        Engine = engine;
        Device = device;
        FirstLayer = firstLayer;
        LastLayer = lastLayer ?? layerCount - 1;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    public IInferenceEngine Engine { get; }

    public string Model => Engine.ModelName;

    /// <summary>Device name, e.g. <c>cpu:0</c> or <c>cuda:1</c>.</summary>
    public string Device { get; }

    public int FirstLayer { get; }

    /// <summary>Last layer of the shard (inclusive).</summary>
    public int LastLayer { get; }

    public DateTimeOffset LoadedAt { get; }
}
