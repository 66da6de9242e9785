using InferMesh.Kernels.Cpu;

namespace InferMesh.Kernels.Tests.Cpu;

/// <summary>
/// A paged KV cache filled with random keys and values, whose sequences own shuffled physical blocks, plus random
/// query rows: the inputs of one PagedAttention call, runnable on any subset of its rows.
/// </summary>
internal sealed class PagedAttentionCase
{
    public PagedAttentionCase(AttentionShape shape, int[] contextLengths, int seed)
    {
        Shape = shape;
        var rng = new Random(seed);
        MaxBlocks = (contextLengths.Max() + shape.BlockSize - 1) / shape.BlockSize;
        int cacheBlocks = (contextLengths.Length * MaxBlocks) + 3;
        int[] physical = Enumerable.Range(0, cacheBlocks).OrderBy(_ => rng.Next()).ToArray();
        BlockTables = new int[contextLengths.Length, MaxBlocks];
        for (int s = 0; s < contextLengths.Length; s++)
        {
            for (int b = 0; b < MaxBlocks; b++)
            {
                BlockTables[s, b] = physical[(s * MaxBlocks) + b];
            }
        }

        KeyCache = CpuTestData.Random(cacheBlocks * shape.BlockSize * shape.KvWidth, seed + 1, scale: 2f);
        ValueCache = CpuTestData.Random(cacheBlocks * shape.BlockSize * shape.KvWidth, seed + 2);
        ContextLengths = contextLengths;
    }

    public AttentionShape Shape { get; }

    public int MaxBlocks { get; }

    public int[,] BlockTables { get; }

    public float[] KeyCache { get; }

    public float[] ValueCache { get; }

    public int[] ContextLengths { get; }

    public int CacheSlots => KeyCache.Length / Shape.KvWidth;

    /// <summary>Every position of every sequence as a query row (a prefill of all of them at once).</summary>
    public (int[] Sequences, int[] Positions) AllRows()
    {
        var sequences = new List<int>();
        var positions = new List<int>();
        for (int s = 0; s < ContextLengths.Length; s++)
        {
            for (int p = 0; p < ContextLengths[s]; p++)
            {
                sequences.Add(s);
                positions.Add(p);
            }
        }

        return (sequences.ToArray(), positions.ToArray());
    }

    public float[] Queries(int rows, int seed) => CpuTestData.Random(rows * Shape.QueryWidth, seed, scale: 2f);

    public (float[] Output, float[] Lse) Run(CpuBackend backend, float[] queries, int[] sequences, int[] positions, AttentionShape? shape = null)
    {
        shape ??= Shape;
        int rows = sequences.Length;
        var tables = new int[BlockTables.Length];
        Buffer.BlockCopy(BlockTables, 0, tables, 0, tables.Length * sizeof(int));
        var batch = new AttentionBatch(
            backend.Column(sequences),
            backend.Column(positions),
            backend.Ints(tables, ContextLengths.Length, MaxBlocks),
            positions.Max() + 1);
        DeviceTensor output = backend.Allocate(rows, shape.QueryWidth);
        DeviceTensor lse = backend.Allocate(rows, shape.NumHeads);
        backend.PagedAttention(
            backend.Tensor(queries, rows, shape.QueryWidth),
            backend.Tensor(KeyCache, CacheSlots, shape.KvWidth),
            backend.Tensor(ValueCache, CacheSlots, shape.KvWidth),
            batch,
            shape,
            output,
            lse);
        return (backend.Floats(output), backend.Floats(lse));
    }

    public (double[] Output, double[] Lse) Reference(float[] queries, int[] sequences, int[] positions) =>
        NaiveReference.Attention(queries, KeyCache, ValueCache, sequences, positions, BlockTables, Shape);
}
