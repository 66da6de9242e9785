using InferMesh.Engine.Scheduling;

namespace InferMesh.Engine.ChunkCache;

/// <summary>A chunk of a running sequence whose KV will be stored once computed, with its scores accumulating.</summary>
public sealed class ChunkCapture(Sequence sequence, ulong key, int start, int length, int contextPrefix, ulong[] context, int layers)
{
    public Sequence Sequence { get; } = sequence;

    public ulong Key { get; } = key;

    /// <summary>First position of the chunk in the sequence.</summary>
    public int Start { get; } = start;

    public int Length { get; } = length;

    /// <summary>Leading positions (the instructions) that count as the chunk's own context when scoring.</summary>
    public int ContextPrefix { get; } = contextPrefix;

    public ulong[] Context { get; } = context;

    /// <summary>Sum over layers of each token's head-mean share of attention on other chunks.</summary>
    public float[] ScoreSums { get; } = new float[length];

    public int Layers { get; } = layers;

    public bool Stored { get; set; }
}
