using InferMesh.Engine.Scheduling;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// Reading back the KV a resident session holds, for quality measurements (bench-rag's per-layer KV deviation of chunk
/// reuse against full recomputation). Not a serving path: it allocates, uploads indices and synchronises with the device.
/// </summary>
public sealed partial class InferenceEngine
{
    /// <summary>
    /// Keys and values of the first <paramref name="tokens"/> positions a resident session holds, per layer, as fp32
    /// rows [tokens × kv heads·head dim]; null when no session of that key is resident or it holds fewer tokens.
    /// </summary>
    public Task<SessionKv?> ReadSessionKvAsync(string sessionKey, int tokens)
    {
        ArgumentNullException.ThrowIfNull(sessionKey);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        var result = new TaskCompletionSource<SessionKv?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                result.SetResult(ReadSessionKv(sessionKey, tokens));
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        });
        return result.Task;
    }

    private SessionKv? ReadSessionKv(string key, int tokens)
    {
        if (!_sessions.TryGetValue(key, out var session) || session.Tokens.Length < tokens)
        {
            return null;
        }

        var size = _allocator.BlockSize;
        var slots = new int[tokens];
        for (var p = 0; p < tokens; p++)
        {
            slots[p] = Sequence.SlotOf(session.Blocks, p, size);
        }

        var layers = _folder.Config.NumHiddenLayers;
        var width = _folder.Config.NumKeyValueHeads * _folder.Config.HeadDim;
        var keys = new float[layers][];
        var values = new float[layers][];
        using var indices = _backend.Allocate(tokens, 1, DType.I32);
        using var keyRows = _backend.Allocate(tokens, width, _backend.CacheType);
        using var valueRows = _backend.Allocate(tokens, width, _backend.CacheType);
        _backend.Upload(slots, indices);
        for (var l = 0; l < layers; l++)
        {
            _backend.GatherRows(_cache.Keys(l), indices, keyRows);
            _backend.GatherRows(_cache.Values(l), indices, valueRows);
            keys[l] = new float[tokens * width];
            values[l] = new float[tokens * width];
            _backend.Download(keyRows, keys[l]);
            _backend.Download(valueRows, values[l]);
        }

        return new SessionKv(keys, values);
    }
}
