using System.Collections.Concurrent;
using System.Text.Json;
using Orleans.Storage;

namespace InferMesh.Grains.Tests;

/// <summary>
/// Grain storage shared by every silo of an in-process test cluster: it stands in for Redis, a store that outlives
/// any one silo, so a session killed with its silo can be read back on another. States are stored as JSON, so no
/// two activations ever share an object.
/// </summary>
internal sealed class SharedGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string, GrainId), (string Json, string ETag)> _records = new();
    private long _version;

    /// <summary>The one store of this test process (silos are created by type, so they cannot be handed an instance).</summary>
    public static SharedGrainStorage Instance { get; } = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_records.TryGetValue((stateName, grainId), out var record))
        {
            grainState.State = JsonSerializer.Deserialize<T>(record.Json)!;
            grainState.ETag = record.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _records[(stateName, grainId)] = (JsonSerializer.Serialize(grainState.State), etag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _records.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
