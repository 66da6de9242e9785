using InferMesh.Engine.KvCache;
using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// How many KV blocks an engine gets: an explicit count, or a share of the memory left after weights and
/// activation buffers (vLLM's --gpu-memory-utilization idea), capped on the CPU.
/// </summary>
public static class KvCacheSizing
{
    public static int Blocks(IComputeBackend backend, ModelConfig config, EngineOptions options, int blocksPerMaxSequence)
    {
        var kvWidth = config.NumKeyValueHeads * config.HeadDim;
        var bytesPerBlock = KvCachePool.BytesPerBlock(config.NumHiddenLayers, options.BlockSize, kvWidth, backend.CacheType);
        if (options.KvCacheBlocks is { } explicitBlocks)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(explicitBlocks, 1, nameof(options.KvCacheBlocks));
            return explicitBlocks;
        }

        if (options.MemoryUtilization is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options.MemoryUtilization), $"memory utilization must be in (0, 1] (got {options.MemoryUtilization}).");
        }

        var free = backend.FreeMemoryBytes;
        var budget = (long)(free * options.MemoryUtilization);
        if (backend.SharesHostMemory)
        {
            // CPU: the "device" is host RAM shared with everything else; never take more than the configured cap
            // nor more than the engine can use (every sequence at full context).
            var useful = (long)blocksPerMaxSequence * options.MaxSequences * bytesPerBlock;
            budget = Math.Min(budget, Math.Min(options.CpuKvCacheBytesLimit, useful));
        }

        var blocks = budget / bytesPerBlock;
        if (blocks < blocksPerMaxSequence)
        {
            throw new InsufficientMemoryException(
                $"the KV cache does not fit on {backend.DeviceName}: {free / (1 << 20)} MiB free after loading the model, "
                + $"{options.MemoryUtilization:P0} of it gives {blocks} blocks but one sequence at the full context needs {blocksPerMaxSequence} "
                + $"({bytesPerBlock * blocksPerMaxSequence / (1 << 20)} MiB). Lower --max-context, raise --gpu-memory-utilization, or use a device with more memory.");
        }

        return (int)Math.Min(blocks, int.MaxValue / options.BlockSize);
    }
}
