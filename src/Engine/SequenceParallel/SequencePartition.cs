namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Which prompt positions each ring member holds. The zig-zag split cuts the prompt into 2N chunks and gives member i
/// chunks i and 2N−1−i, so every member holds one early and one late chunk and does the same causal attention work
/// (Brandon et al., Striped/zig-zag ring attention, https://arxiv.org/abs/2311.09431; TokenRing §3). Chunk c covers
/// positions [⌊c·L/2N⌋, ⌊(c+1)·L/2N⌋), so lengths that 2N does not divide give chunks differing by at most one token.
/// </summary>
public sealed class SequencePartition
{
    private readonly int[][] _positions;

    private SequencePartition(int length, int[][] positions)
    {
        Length = length;
        _positions = positions;
    }

    /// <summary>Prompt length in tokens.</summary>
    public int Length { get; }

    public int Members => _positions.Length;

    /// <summary>The zig-zag split of <paramref name="length"/> tokens over <paramref name="members"/> members.</summary>
    public static SequencePartition ZigZag(int length, int members)
    {
        Check(length, members, 2 * members, "zig-zag split (2 chunks per member)");
        var chunks = 2 * members;
        var positions = new int[members][];
        for (var i = 0; i < members; i++)
        {
            var early = ChunkRange(i, chunks, length);
            var late = ChunkRange(chunks - 1 - i, chunks, length);
            positions[i] = [.. Enumerable.Range(early.Start, early.Count), .. Enumerable.Range(late.Start, late.Count)];
        }

        return new SequencePartition(length, positions);
    }

    /// <summary>The naive split into N consecutive runs (unbalanced under causal masking; for comparison).</summary>
    public static SequencePartition Contiguous(int length, int members)
    {
        Check(length, members, members, "contiguous split");
        var positions = new int[members][];
        for (var i = 0; i < members; i++)
        {
            var range = ChunkRange(i, members, length);
            positions[i] = Enumerable.Range(range.Start, range.Count).ToArray();
        }

        return new SequencePartition(length, positions);
    }

    /// <summary>The absolute positions member <paramref name="member"/> holds, ascending.</summary>
    public IReadOnlyList<int> Positions(int member) => _positions[member];

    /// <summary>The member holding <paramref name="position"/> and its row there.</summary>
    public (int Member, int Row) Locate(int position)
    {
        for (var m = 0; m < _positions.Length; m++)
        {
            var row = Array.BinarySearch(_positions[m], position);
            if (row >= 0)
            {
                return (m, row);
            }
        }

        throw new ArgumentOutOfRangeException(nameof(position), position, $"position is outside the prompt of {Length} tokens.");
    }

    /// <summary>
    /// Query·key score pairs member <paramref name="member"/> computes for its own queries over the whole prompt under
    /// the causal mask (and sliding window when not 0): the attention FLOPs of its queries, whichever member computes them.
    /// </summary>
    public long CausalScorePairs(int member, int slidingWindow = 0)
    {
        long pairs = 0;
        foreach (var p in _positions[member])
        {
            pairs += slidingWindow > 0 ? Math.Min(p + 1, slidingWindow) : p + 1;
        }

        return pairs;
    }

    /// <summary>
    /// Visible query·key pairs between two ascending position lists under the causal mask (and sliding window when
    /// not 0): the score pairs one BlockAttention call over them computes.
    /// </summary>
    public static long VisiblePairs(IReadOnlyList<int> queryPositions, IReadOnlyList<int> keyPositions, int slidingWindow = 0)
    {
        long pairs = 0;
        int upTo = 0, below = 0;
        foreach (var q in queryPositions)
        {
            while (upTo < keyPositions.Count && keyPositions[upTo] <= q)
            {
                upTo++;
            }

            while (slidingWindow > 0 && below < keyPositions.Count && keyPositions[below] <= q - slidingWindow)
            {
                below++;
            }

            pairs += upTo - below;
        }

        return pairs;
    }

    private static (int Start, int Count) ChunkRange(int chunk, int chunks, int length)
    {
        var start = (int)((long)chunk * length / chunks);
        var end = (int)((long)(chunk + 1) * length / chunks);
        return (start, end - start);
    }

    private static void Check(int length, int members, int chunks, string what)
    {
        if (members < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(members), members, "a ring needs at least one member.");
        }

        if (length < chunks)
        {
            throw new ArgumentOutOfRangeException(
                nameof(length), length, $"a prompt of {length} tokens cannot give every member tokens in a {what} over {members} members; it needs at least {chunks} tokens (use fewer members or single-device prefill).");
        }
    }
}
