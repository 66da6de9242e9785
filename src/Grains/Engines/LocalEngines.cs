namespace InferMesh.Grains.Engines;

/// <summary>
/// The engines loaded in this silo process, registered by the silo host at startup (one per model and device).
/// Grains of this silo find their model's engine here; nothing here crosses the network.
/// </summary>
public sealed class LocalEngines
{
    private readonly Lock _gate = new();
    private LocalEngine[] _engines = [];

    public IReadOnlyList<LocalEngine> All => Volatile.Read(ref _engines);

    public void Add(LocalEngine engine)
    {
        lock (_gate)
        {
            if (Array.Exists(_engines, e => e.Model == engine.Model && e.Device == engine.Device))
            {
                throw new InvalidOperationException($"model '{engine.Model}' is already loaded on {engine.Device} in this silo");
            }

            Volatile.Write(ref _engines, [.. _engines, engine]);
        }
    }

    /// <summary>The engine for a model with the most free KV blocks, or null when this silo does not serve it.</summary>
    public LocalEngine? Find(string model)
    {
        LocalEngine? best = null;
        foreach (var engine in All)
        {
            if (string.Equals(engine.Model, model, StringComparison.Ordinal)
                && (best is null || engine.Engine.Stats.FreeKvBlocks > best.Engine.Stats.FreeKvBlocks))
            {
                best = engine;
            }
        }

        return best;
    }

    public LocalEngine? Find(string model, string device)
    {
        foreach (var engine in All)
        {
            if (string.Equals(engine.Model, model, StringComparison.Ordinal) && string.Equals(engine.Device, device, StringComparison.Ordinal))
            {
                return engine;
            }
        }

        return null;
    }
}
