using InferMesh.Kernels;
using InferMesh.Kernels.Cpu;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The CPU backend (fp32) as the oracle for whole call sequences: one decoder layer plus LM head, run on both
/// backends from the same bf16 weights and inputs (a prefill chunk, then one decode token), intermediate results
/// compared within the device's tolerance (bf16, or fp32 for an fp32 device) and the greedy token compared wherever
/// the CPU's top-2 margin exceeds it. The layer runs either with separate q/k/v and gate/up projections (Rope,
/// WriteKv, SiluMul) or with packed ones as the engine runs it (RopeWriteQkv, SwiGlu).
/// </summary>
internal static class CpuOracleChecks
{
    private const int Hidden = 256, Heads = 4, KvHeads = 2, HeadDim = 64, Intermediate = 512, Vocab = 1000, BlockSize = 16;

    /// <summary>Relative error allowed between a 16-bit device and the CPU over the layer.</summary>
    public const double HalfTolerance = 2e-2;

    /// <summary>Relative error allowed between an fp32 device and the CPU over the layer (summation order, approximate sin/cos/exp2).</summary>
    public const double F32Tolerance = 2e-5;

    public static void DecoderLayerMatchesCpu(IComputeBackend device, int promptTokens, int seed, bool packed = false)
    {
        double tolerance = device.ActivationType == DType.F32 ? F32Tolerance : HalfTolerance;
        var data = new LayerData(new Random(seed), promptTokens);
        using var cpu = new CpuBackend(2);
        var expected = Run(cpu, data, packed);
        var actual = Run(device, data, packed);
        foreach (var (name, values) in expected.Outputs)
            AssertClose(actual.Outputs[name], values, tolerance, $"{name} ({device.DeviceName} vs CPU, packed={packed})");
        var logits = expected.Outputs["logits"];
        for (int r = 0; r < expected.Ids.Length; r++)
        {
            var row = logits.AsSpan(r * Vocab, Vocab).ToArray();
            var sorted = row.OrderDescending().ToArray();
            if (sorted[0] - sorted[1] > tolerance * Math.Abs(sorted[0]))
                Assert.Equal(expected.Ids[r], actual.Ids[r]);
        }
    }

    private static (Dictionary<string, float[]> Outputs, int[] Ids) Run(IComputeBackend b, LayerData d, bool packed)
    {
        var outputs = new Dictionary<string, float[]>();
        var owned = new List<DeviceTensor>();
        T Own<T>(T tensor) where T : DeviceTensor
        {
            owned.Add(tensor);
            return tensor;
        }

        DeviceTensor Weight(float[] values, int rows, int cols) => Own(b.LoadWeight(KernelChecks.Bf16Bytes(values), DType.BF16, rows, cols));
        try
        {
            var table = Weight(d.Table, Vocab, Hidden);
            var norm = Weight(d.Norm, 1, Hidden);
            var wq = Weight(d.Wq, Heads * HeadDim, Hidden);
            var bq = Weight(d.Bq, 1, Heads * HeadDim);
            var wk = Weight(d.Wk, KvHeads * HeadDim, Hidden);
            var wv = Weight(d.Wv, KvHeads * HeadDim, Hidden);
            var wo = Weight(d.Wo, Hidden, Heads * HeadDim);
            var gate = Weight(d.Gate, Intermediate, Hidden);
            var up = Weight(d.Up, Intermediate, Hidden);
            var down = Weight(d.Down, Hidden, Intermediate);
            var wqkv = Weight([.. d.Wq, .. d.Wk, .. d.Wv], (Heads + 2 * KvHeads) * HeadDim, Hidden);
            var bqkv = Weight([.. d.Bq, .. new float[2 * KvHeads * HeadDim]], 1, (Heads + 2 * KvHeads) * HeadDim);
            var gateUp = Weight([.. d.Gate, .. d.Up], 2 * Intermediate, Hidden);
            var invFreq = Own(Upload(b, Enumerable.Range(0, HeadDim / 2).Select(i => (float)Math.Pow(10000.0, -2.0 * i / HeadDim)).ToArray(), 1, HeadDim / 2, DType.F32));
            int slots = (d.Tokens + 1 + BlockSize) / BlockSize * BlockSize + 2 * BlockSize;
            var keyCache = Own(b.Allocate(slots, KvHeads * HeadDim, b.CacheType));
            var valueCache = Own(b.Allocate(slots, KvHeads * HeadDim, b.CacheType));
            // Blocks in reverse physical order, so logical and physical slots differ.
            int blocks = slots / BlockSize;
            var tables = Own(Upload(b, Enumerable.Range(0, blocks).Select(i => blocks - 1 - i).ToArray(), 1, blocks));
            var shape = new AttentionShape(Heads, KvHeads, HeadDim, 1 / MathF.Sqrt(HeadDim), 0, BlockSize);
            var ids = new List<int>();
            foreach (var (first, count, stage) in new[] { (0, d.Tokens, "prefill"), (d.Tokens, 1, "decode") })
            {
                var positions = Enumerable.Range(first, count).ToArray();
                var tPositions = Own(Upload(b, positions, count, 1));
                var tSequences = Own(Upload(b, new int[count], count, 1));
                var tSlots = Own(Upload(b, positions.Select(p => (blocks - 1 - p / BlockSize) * BlockSize + p % BlockSize).ToArray(), count, 1));
                var tIds = Own(Upload(b, d.Ids.Skip(first).Take(count).ToArray(), count, 1));
                var h = Own(b.Allocate(count, Hidden));
                var x = Own(b.Allocate(count, Hidden));
                var q = Own(b.Allocate(count, Heads * HeadDim));
                var k = Own(b.Allocate(count, KvHeads * HeadDim));
                var v = Own(b.Allocate(count, KvHeads * HeadDim));
                var attention = Own(b.Allocate(count, Heads * HeadDim));
                var lse = Own(b.Allocate(count, Heads, DType.F32));
                var o = Own(b.Allocate(count, Hidden));
                var g = Own(b.Allocate(count, Intermediate));
                var u = Own(b.Allocate(count, Intermediate));
                var qkv = Own(b.Allocate(count, (Heads + 2 * KvHeads) * HeadDim));
                var gu = Own(b.Allocate(count, 2 * Intermediate));
                var a = Own(b.Allocate(count, Intermediate));
                var logits = Own(b.Allocate(count, Vocab, DType.F32));
                var next = Own(b.Allocate(count, 1, DType.I32));
                b.Embedding(table, tIds, h);
                b.RmsNorm(h, norm, 1e-5f, x);
                if (packed)
                {
                    b.MatMul(x, wqkv, bqkv, qkv);
                    b.RopeWriteQkv(qkv, HeadDim, tPositions, invFreq, 1f, q, keyCache, valueCache, tSlots);
                }
                else
                {
                    b.MatMul(x, wq, bq, q);
                    b.MatMul(x, wk, null, k);
                    b.MatMul(x, wv, null, v);
                    b.Rope(q, HeadDim, tPositions, invFreq, 1f);
                    b.Rope(k, HeadDim, tPositions, invFreq, 1f);
                    b.WriteKv(k, v, keyCache, valueCache, tSlots);
                }

                b.PagedAttention(q, keyCache, valueCache, new AttentionBatch(tSequences, tPositions, tables, first + count), shape, attention, lse);
                outputs[$"{stage} attention"] = Download(b, attention);
                outputs[$"{stage} lse"] = Download(b, lse);
                b.MatMul(attention, wo, null, o);
                b.Add(h, o);
                b.RmsNorm(h, norm, 1e-5f, x);
                if (packed)
                {
                    b.MatMul(x, gateUp, null, gu);
                    b.SwiGlu(gu, a);
                }
                else
                {
                    b.MatMul(x, gate, null, g);
                    b.MatMul(x, up, null, u);
                    b.SiluMul(g, u, a);
                }

                b.MatMul(a, down, null, o);
                b.Add(h, o);
                outputs[$"{stage} hidden"] = Download(b, h);
                b.RmsNorm(h, norm, 1e-5f, x);
                b.MatMul(x, table, null, logits);
                b.Argmax(logits, next);
                var stepIds = new int[count];
                b.Download(next, stepIds);
                ids.AddRange(stepIds);
                outputs["logits"] = outputs.TryGetValue("logits", out var previous) ? [.. previous, .. Download(b, logits)] : Download(b, logits);
            }

            return (outputs, ids.ToArray());
        }
        finally
        {
            foreach (var tensor in owned)
                tensor.Dispose();
        }
    }

    private sealed class LayerData(Random random, int tokens)
    {
        public int Tokens { get; } = tokens;
        public int[] Ids { get; } = Enumerable.Range(0, tokens + 1).Select(_ => random.Next(Vocab)).ToArray();
        public float[] Table { get; } = Bf16Random(random, Vocab * Hidden);
        public float[] Norm { get; } = Bf16Random(random, Hidden, 2f);
        public float[] Wq { get; } = Bf16Random(random, Heads * HeadDim * Hidden, 0.15f);
        public float[] Bq { get; } = Bf16Random(random, Heads * HeadDim, 0.5f);
        public float[] Wk { get; } = Bf16Random(random, KvHeads * HeadDim * Hidden, 0.15f);
        public float[] Wv { get; } = Bf16Random(random, KvHeads * HeadDim * Hidden, 0.15f);
        public float[] Wo { get; } = Bf16Random(random, Hidden * Heads * HeadDim, 0.1f);
        public float[] Gate { get; } = Bf16Random(random, Intermediate * Hidden, 0.1f);
        public float[] Up { get; } = Bf16Random(random, Intermediate * Hidden, 0.1f);
        public float[] Down { get; } = Bf16Random(random, Hidden * Intermediate, 0.1f);
    }
}
