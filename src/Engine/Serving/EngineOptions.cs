using InferMesh.Engine.ChunkCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>How an engine runs: device, memory, batching limits.</summary>
public sealed record EngineOptions
{
    /// <summary>"cpu" or "cuda:N". Ignored when <see cref="Backend"/> is given.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>A backend the caller owns (tests, pipeline stages sharing a device); the engine does not dispose it.</summary>
    public IComputeBackend? Backend { get; init; }

    /// <summary>
    /// Type of activations and the KV cache: F32, BF16 or F16 on CUDA, F32 only on the CPU; null = auto, the
    /// checkpoint's own type on CUDA (fp32 checkpoints run in F32 like transformers, bf16 in BF16) and F32 on the CPU.
    /// Ignored when <see cref="Backend"/> is given.
    /// </summary>
    public DType? ActivationType { get; init; }

    /// <summary>CPU threads (null = all cores).</summary>
    public int? Threads { get; init; }

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Exact number of KV blocks; null sizes the pool from memory (see <see cref="MemoryUtilization"/>).</summary>
    public int? KvCacheBlocks { get; init; }

    /// <summary>Share of the device memory still free after weights and activations that the KV cache may take (like vLLM's --gpu-memory-utilization).</summary>
    public double MemoryUtilization { get; init; } = 0.9;

    /// <summary>Cap on KV memory for the CPU backend, whose "free memory" is the host's.</summary>
    public long CpuKvCacheBytesLimit { get; init; } = 2L << 30;

    /// <summary>Longest context (prompt + completion); null = the model's max_position_embeddings.</summary>
    public int? MaxContextLength { get; init; }

    public int MaxBatchTokens { get; init; } = 512;

    public int MaxSequences { get; init; } = 64;

    /// <summary>Longest prefill chunk of one sequence in one step (0 = up to the token budget).</summary>
    public int MaxPrefillChunk { get; init; }

    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>Capture decode steps as device graphs where the backend supports it (CUDA).</summary>
    public bool UseGraphs { get; init; } = true;

    /// <summary>Budgets of the Cache-Craft chunk store (device, host, disk tiers).</summary>
    public ChunkStoreOptions ChunkStore { get; init; } = new();

    /// <summary>Name reported by the engine (default: the model folder's name).</summary>
    public string? ModelName { get; init; }
}
