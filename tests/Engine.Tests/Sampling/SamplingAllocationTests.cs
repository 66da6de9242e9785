using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class SamplingAllocationTests
{
    private const int VocabSize = 32_000;

    public static TheoryData<string> Configurations => [.. ByName.Keys];

    private static readonly Dictionary<string, SamplingParams> ByName = new()
    {
        ["greedy"] = SamplingParams.Greedy,
        ["greedy with penalties"] = new() { Temperature = 0f, RepetitionPenalty = 1.2f, FrequencyPenalty = 0.5f },
        ["temperature"] = new() { Temperature = 0.8f, Seed = 1 },
        ["top-k and top-p"] = new() { Temperature = 0.8f, TopK = 50, TopP = 0.9f, Seed = 1 },
        ["top-p over the vocabulary"] = new() { Temperature = 1.1f, TopP = 0.95f, Seed = 1 },
        ["min-p with penalties"] = new() { MinP = 0.05f, PresencePenalty = 0.5f, RepetitionPenalty = 1.1f, Seed = 1 },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Sample_allocates_nothing_after_warm_up(string configuration)
    {
        float[] logits = SamplingReference.RandomLogits(VocabSize, 2.5, seed: 40);
        float[] row = new float[VocabSize];
        var sampler = new TokenSampler(ByName[configuration], VocabSize, promptTokenIds: [1, 2, 3]);
        for (int i = 0; i < 100; i++)
        {
            logits.CopyTo(row, 0);
            sampler.Sample(row);
        }

        // Tiered JIT can allocate once while it swaps in optimised code, so look at several windows of 100 calls:
        // an allocation made by Sample itself shows up in every one of them.
        long[] windows = new long[5];
        for (int w = 0; w < windows.Length; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                logits.CopyTo(row, 0);
                sampler.Sample(row);
            }

            windows[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(windows.Contains(0L), $"bytes allocated per 100 calls: {string.Join(", ", windows)}");
    }
}
