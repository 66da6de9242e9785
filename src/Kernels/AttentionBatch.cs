namespace InferMesh.Kernels;

/// <summary>
/// Where each query row of a flattened step batch lives in the paged KV cache.
/// A step mixes prefill chunks and decode tokens of many sequences; every query row attends causally to
/// the keys of its own sequence at positions ≤ its position (within the sliding window, if any).
/// The keys at position j of sequence s are at slot <c>BlockTables[s, j / BlockSize] * BlockSize + j % BlockSize</c>.
/// </summary>
/// <param name="QuerySequence">I32 [T×1]: row index into <paramref name="BlockTables"/> for each query row.</param>
/// <param name="QueryPosition">I32 [T×1]: absolute position of each query row.</param>
/// <param name="BlockTables">I32 [S×maxBlocks]: physical block ids of each sequence, in logical order.</param>
/// <param name="MaxContext">Upper bound of (position + 1) over all rows; lets kernels size their work.</param>
public sealed class AttentionBatch(DeviceTensor QuerySequence, DeviceTensor QueryPosition, DeviceTensor BlockTables, int MaxContext)
{
    public DeviceTensor QuerySequence { get; } = QuerySequence;

    public DeviceTensor QueryPosition { get; } = QueryPosition;

    public DeviceTensor BlockTables { get; } = BlockTables;

    /// <summary>Mutable so a decode loop can reuse one instance while its context grows.</summary>
    public int MaxContext { get; set; } = MaxContext;
}
