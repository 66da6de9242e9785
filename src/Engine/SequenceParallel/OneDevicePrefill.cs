using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// The reference a ring is checked against: the whole prompt prefilled on one device by <see cref="LlamaModel"/> in
/// chunks over its own paged KV pool, keeping only the last position's logits (so long prompts need no logits buffer
/// per position, unlike <see cref="TeacherForcing"/>).
/// </summary>
public static class OneDevicePrefill
{
    public static float[] LastLogits(IComputeBackend backend, LlamaWeights weights, IReadOnlyList<int> ids, int chunk = 2048)
    {
        if (ids.Count == 0)
        {
            throw new ArgumentException("the prompt is empty.", nameof(ids));
        }

        const int blockSize = 16;
        var config = weights.Config;
        chunk = Math.Min(chunk, ids.Count);
        var blocks = (ids.Count + blockSize - 1) / blockSize;
        using var model = new LlamaModel(backend, weights, blockSize, chunk, 1, blocks);
        using var cache = new KvCachePool(backend, config.NumHiddenLayers, blocks, blockSize, config.NumKeyValueHeads * config.HeadDim);
        var table = Enumerable.Range(0, blocks).ToArray();
        var tokens = ids.ToArray();
        var batch = new StepBatch(chunk, 1, blocks, blockSize);
        var last = new float[config.VocabSize];
        for (var start = 0; start < tokens.Length; start += chunk)
        {
            var n = Math.Min(chunk, tokens.Length - start);
            var final = start + n == tokens.Length;
            batch.Clear();
            batch.Add(tokens, start, n, table, needsLogits: final);
            var logits = model.Forward(batch, cache);
            if (final)
            {
                backend.Download(logits!, last);
            }
        }

        return last;
    }
}
