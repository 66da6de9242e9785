namespace InferMesh.Engine.Serving;

/// <summary>KV a finished conversation turn left on the device for its next turn (see GenerationRequest.SessionKey).</summary>
internal sealed class ResidentSession(int[] tokens, List<int> blocks, int publishedBlocks)
{
    /// <summary>Token ids whose KV the blocks hold, in order.</summary>
    public int[] Tokens { get; } = tokens;

    public List<int> Blocks { get; } = blocks;

    public int PublishedBlocks { get; } = publishedBlocks;

    public long LastUsed { get; set; }
}
