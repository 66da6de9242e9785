using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.KvCache;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.ChunkCache;

/// <summary>The batched moves of chunk KV: cache slots → arena → host → arena → other cache slots, keys re-rotated.</summary>
public sealed class ChunkKvCopierTests : IDisposable
{
    private const int Layers = 2, BlockSize = 16, Blocks = 32;

    private readonly IComputeBackend _backend = ComputeDevices.Open("cpu", 1);
    private readonly ModelConfig _config = ModelConfig.Load(Path.Combine(RepoPaths.Golden("tiny-llama3-bf16"), "config.json"));
    private readonly KvCachePool _cache;
    private readonly DeviceTensor _invFreq;
    private readonly float _scaling;

    public ChunkKvCopierTests()
    {
        _cache = new KvCachePool(_backend, Layers, Blocks, BlockSize, KvWidth);
        var (invFreq, scaling) = RotaryFrequencies.ForCheckpoint(_config, _config.MaxPositionEmbeddings);
        _scaling = scaling;
        _invFreq = _backend.Allocate(1, invFreq.Length, DType.F32);
        _backend.Upload(invFreq, _invFreq);
    }

    private int KvWidth => _config.NumKeyValueHeads * _config.HeadDim;

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private float[] Rotated(float[] keys, int firstPosition, int tokens)
    {
        using var t = _backend.Allocate(tokens, KvWidth);
        using var positions = _backend.Allocate(tokens, 1, DType.I32);
        _backend.Upload(keys, t);
        _backend.Upload(Enumerable.Range(firstPosition, tokens).ToArray(), positions);
        _backend.Rope(t, _config.HeadDim, positions, _invFreq, _scaling);
        var result = new float[keys.Length];
        _backend.Download(t, result);
        return result;
    }

    private void Write(int layer, int[] slots, float[] keys, float[] values)
    {
        using var k = _backend.Allocate(slots.Length, KvWidth);
        using var v = _backend.Allocate(slots.Length, KvWidth);
        using var s = _backend.Allocate(slots.Length, 1, DType.I32);
        _backend.Upload(keys, k);
        _backend.Upload(values, v);
        _backend.Upload(slots, s);
        _backend.WriteKv(k, v, _cache.Keys(layer), _cache.Values(layer), s);
    }

    private (float[] Keys, float[] Values) Read(int layer, int[] slots)
    {
        using var s = _backend.Allocate(slots.Length, 1, DType.I32);
        using var k = _backend.Allocate(slots.Length, KvWidth);
        using var v = _backend.Allocate(slots.Length, KvWidth);
        _backend.Upload(slots, s);
        _backend.GatherRows(_cache.Keys(layer), s, k);
        _backend.GatherRows(_cache.Values(layer), s, v);
        float[] keys = new float[slots.Length * KvWidth], values = new float[slots.Length * KvWidth];
        _backend.Download(k, keys);
        _backend.Download(v, values);
        return (keys, values);
    }

    private static void Near(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [InlineData(700, 3)]
    [InlineData(5, 411)]
    public void A_placed_chunk_has_the_keys_computed_at_its_new_position(int p, int q)
    {
        const int tokens = 21;
        using var arena = new ChunkArena(_backend, Layers, KvWidth, BlockSize, 1L << 20);
        using var copier = new ChunkKvCopier(_backend, arena, _cache, _invFreq, _config.HeadDim);
        int[] from = Enumerable.Range(3, tokens).ToArray(), to = Enumerable.Range(200, tokens).ToArray();
        var raw = Enumerable.Range(0, Layers).Select(l => (Keys: Random(tokens * KvWidth, l), Values: Random(tokens * KvWidth, 10 + l))).ToArray();
        for (var l = 0; l < Layers; l++)
        {
            Write(l, from, Rotated(raw[l].Keys, p, tokens), raw[l].Values);
        }

        var kv = new ChunkKv(arena, arena.TryAllocate(tokens)!, tokens);
        copier.Capture([(kv, from)]);
        copier.Place([(kv, Enumerable.Range(0, tokens).ToArray(), to, q - p)]);

        for (var l = 0; l < Layers; l++)
        {
            var (keys, values) = Read(l, to);
            Near(Rotated(raw[l].Keys, q, tokens), keys, 1e-5);
            Assert.Equal(raw[l].Values, values);
        }
    }

    [Fact]
    public void A_chunk_keeps_its_kv_through_arena_growth_and_a_round_trip_to_host_memory()
    {
        const int tokens = 40;
        using var arena = new ChunkArena(_backend, Layers, KvWidth, BlockSize, 1L << 24);
        using var copier = new ChunkKvCopier(_backend, arena, _cache, _invFreq, _config.HeadDim);
        var slots = Enumerable.Range(0, tokens).ToArray();
        var raw = Enumerable.Range(0, Layers).Select(l => (Keys: Random(tokens * KvWidth, 20 + l), Values: Random(tokens * KvWidth, 30 + l))).ToArray();
        for (var l = 0; l < Layers; l++)
        {
            Write(l, slots, raw[l].Keys, raw[l].Values);
        }

        var kv = new ChunkKv(arena, arena.TryAllocate(tokens)!, tokens);
        copier.Capture([(kv, slots)]);
        var others = Enumerable.Range(0, 12).Select(_ => new ChunkKv(arena, arena.TryAllocate(tokens)!, tokens)).ToList();
        copier.Capture(others.Select(o => (o, Enumerable.Range(100, tokens).ToArray())).ToList()); // grows the arena
        kv.Demote(copier, null);
        Assert.Equal(ChunkTier.Host, kv.Tier);
        others.ForEach(o => o.Dispose()); // its blocks are reused by the way back
        Assert.True(kv.EnsureOnDevice(copier));

        var target = Enumerable.Range(300, tokens).ToArray();
        copier.Place([(kv, Enumerable.Range(0, tokens).ToArray(), target, 0)]);
        for (var l = 0; l < Layers; l++)
        {
            var (keys, values) = Read(l, target);
            Assert.Equal(raw[l].Keys, keys);
            Assert.Equal(raw[l].Values, values);
        }
    }

    [Fact]
    public void The_arena_refuses_chunks_beyond_its_budget_until_blocks_are_released()
    {
        using var arena = new ChunkArena(_backend, Layers, KvWidth, BlockSize, 5 * 2L * Layers * BlockSize * KvWidth * sizeof(float));
        var first = arena.TryAllocate(3 * BlockSize);
        Assert.NotNull(first);
        Assert.Null(arena.TryAllocate(3 * BlockSize));
        arena.Release(first);
        Assert.NotNull(arena.TryAllocate(5 * BlockSize));
    }

    public void Dispose()
    {
        _cache.Dispose();
        _invFreq.Dispose();
        _backend.Dispose();
    }
}
