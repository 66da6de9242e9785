namespace InferMesh.Engine.Sampling;

/// <summary>
/// Scratch memory of vocabulary size that <see cref="TokenSampler"/> needs while it picks a token (≈ 8 bytes per
/// vocabulary entry — 1.2 MB for a 152k vocabulary — plus 32 KB). Samplers that run one after another on the same
/// thread can share one workspace instead of holding one each, so 256 sequences in flight do not cost 256 copies. A workspace must never
/// be used by two <see cref="TokenSampler.Sample(System.Span{float})"/> calls at the same time.
/// </summary>
public sealed class SamplingWorkspace
{
    /// <summary>Tokens per block of the blocked inverse-CDF search over the whole vocabulary.</summary>
    internal const int BlockSize = 256;

    /// <summary>Buckets of the log-probability histogram top-p uses to find its cut without sorting the vocabulary.</summary>
    internal const int NucleusBuckets = 4096;

    public SamplingWorkspace(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        VocabSize = vocabSize;
        Ranked = new int[vocabSize];
        Weights = new float[vocabSize];
        BlockSums = new double[(vocabSize + BlockSize - 1) / BlockSize];
        BucketMass = new double[NucleusBuckets];
    }

    public int VocabSize { get; }

    /// <summary>Token ids in rank order (best first) for top-k and top-p.</summary>
    internal int[] Ranked { get; }

    /// <summary>Unnormalised probabilities exp((logit − max) / T), indexed by token id.</summary>
    internal float[] Weights { get; }

    internal double[] BlockSums { get; }

    internal double[] BucketMass { get; }
}
