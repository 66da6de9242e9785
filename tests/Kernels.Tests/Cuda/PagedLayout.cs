namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// A paged-KV batch for attention tests: sequences with given context lengths, their blocks scattered over the pool
/// in shuffled order, and query rows (sequence, position) in any order.
/// </summary>
internal sealed class PagedLayout
{
    private PagedLayout(int[] querySequence, int[] queryPosition, int[] blockTables, int maxBlocks, int totalBlocks)
    {
        QuerySequence = querySequence;
        QueryPosition = queryPosition;
        BlockTables = blockTables;
        MaxBlocks = maxBlocks;
        TotalBlocks = totalBlocks;
    }

    public int[] QuerySequence { get; }

    public int[] QueryPosition { get; }

    public int[] BlockTables { get; }

    public int MaxBlocks { get; }

    public int TotalBlocks { get; }

    public int Sequences => BlockTables.Length / MaxBlocks;

    public int MaxContext => QueryPosition.Max() + 1;

    public long Slot(int sequence, int position, int blockSize) =>
        (long)BlockTables[sequence * MaxBlocks + position / blockSize] * blockSize + position % blockSize;

    /// <summary>
    /// Each sequence s has contexts[s] tokens and asks queries[s] rows: its last queries[s] positions.
    /// Rows are listed sequence by sequence unless <paramref name="shuffleRows"/>.
    /// </summary>
    public static PagedLayout Create(int[] contexts, int[] queries, int blockSize, Random random, bool shuffleRows = false)
    {
        int maxBlocks = contexts.Max(c => (c + blockSize - 1) / blockSize) + 1;
        int totalBlocks = contexts.Sum(c => (c + blockSize - 1) / blockSize) + 3;
        var physical = Enumerable.Range(0, totalBlocks).ToArray();
        random.Shuffle(physical);
        var tables = new int[contexts.Length * maxBlocks];
        int next = 0;
        for (int s = 0; s < contexts.Length; s++)
        {
            for (int b = 0; b < maxBlocks; b++)
                tables[s * maxBlocks + b] = b < (contexts[s] + blockSize - 1) / blockSize ? physical[next++] : 0;
        }

        var rows = new List<(int Sequence, int Position)>();
        for (int s = 0; s < contexts.Length; s++)
        {
            for (int i = contexts[s] - queries[s]; i < contexts[s]; i++)
                rows.Add((s, i));
        }

        var order = rows.ToArray();
        if (shuffleRows)
            random.Shuffle(order);
        return new PagedLayout(order.Select(r => r.Sequence).ToArray(), order.Select(r => r.Position).ToArray(), tables, maxBlocks, totalBlocks);
    }

    /// <summary>
    /// Each sequence s has contexts[s] tokens and asks queries[s] rows at scattered positions (ascending, always
    /// including the last): the rows of a sparse prefill, which recomputes some tokens among cached ones.
    /// </summary>
    public static PagedLayout CreateSparse(int[] contexts, int[] queries, int blockSize, Random random)
    {
        var dense = Create(contexts, contexts.Select(_ => 1).ToArray(), blockSize, random);
        var sequence = new List<int>();
        var position = new List<int>();
        for (int s = 0; s < contexts.Length; s++)
        {
            var picked = Enumerable.Range(0, contexts[s] - 1).OrderBy(_ => random.Next()).Take(queries[s] - 1).Append(contexts[s] - 1).Order();
            foreach (var p in picked)
            {
                sequence.Add(s);
                position.Add(p);
            }
        }

        return new PagedLayout([.. sequence], [.. position], dense.BlockTables, dense.MaxBlocks, dense.TotalBlocks);
    }
}
