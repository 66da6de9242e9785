using InferMesh.Engine.Scheduling;

namespace InferMesh.Engine.ChunkCache;

/// <summary>A chunk of a running sequence whose KV will be stored once computed, with its scores accumulating.</summary>
public sealed class ChunkCapture(Sequence sequence, ulong key, int start, int length, int contextPrefix, ulong[] context, int layers)
{
    /// <summary>Tokens of a chunk whose context impact is measured; the others take their nearest measured neighbour's.</summary>
    public const int ScoredTokens = 32;

    public Sequence Sequence { get; } = sequence;

    public ulong Key { get; } = key;

    /// <summary>First position of the chunk in the sequence.</summary>
    public int Start { get; } = start;

    public int Length { get; } = length;

    /// <summary>Leading positions (the instructions) that count as the chunk's own context when scoring.</summary>
    public int ContextPrefix { get; } = contextPrefix;

    public ulong[] Context { get; } = context;

    /// <summary>Offsets that are multiples of this are scored (about <see cref="ScoredTokens"/> per chunk).</summary>
    public int ScoreStride { get; } = Math.Max(1, (length + ScoredTokens - 1) / ScoredTokens);

    /// <summary>Sum over layers of each scored token's head-mean share of attention on other chunks.</summary>
    public float[] ScoreSums { get; } = new float[length];

    /// <summary>Which offsets were scored.</summary>
    public bool[] Scored { get; } = new bool[length];

    public int Layers { get; } = layers;

    /// <summary>Per-token scores (mean over layers); an unscored token takes the nearest scored one before it (or after).</summary>
    public float[] Scores()
    {
        var scores = new float[Length];
        var last = -1;
        for (var t = 0; t < Length; t++)
        {
            if (Scored[t])
            {
                last = t;
            }

            scores[t] = last >= 0 ? ScoreSums[last] / Layers : float.NaN;
        }

        var next = float.NaN;
        for (var t = Length - 1; t >= 0; t--)
        {
            if (Scored[t])
            {
                next = scores[t];
            }
            else if (float.IsNaN(scores[t]))
            {
                scores[t] = float.IsNaN(next) ? 0 : next;
            }
        }

        return scores;
    }
}
