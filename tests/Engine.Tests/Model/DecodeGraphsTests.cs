using InferMesh.Engine.Model;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>Graph-captured decode: batch-size buckets, padding rows, and replays that give eager decode's tokens.</summary>
public sealed class DecodeGraphsTests
{
    [Theory]
    [InlineData(1, 64, 1)]
    [InlineData(2, 64, 2)]
    [InlineData(3, 64, 4)]
    [InlineData(5, 64, 8)]
    [InlineData(8, 64, 8)]
    [InlineData(9, 64, 16)]
    [InlineData(63, 64, 64)]
    [InlineData(61, 62, 62)]
    [InlineData(100, 100, 100)]
    public void Batches_are_served_by_the_next_bucket_within_the_engine_limit(int sequences, int max, int bucket) =>
        Assert.Equal(bucket, DecodeGraphs.Bucket(sequences, max));

    [Fact]
    public async Task Padded_graph_replays_give_the_tokens_of_eager_decode_while_the_batch_shrinks()
    {
        using var cpu = ComputeDevices.Open("cpu", 1);
        var recording = new GraphRecordingBackend(cpu);
        await using var graphed = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Backend = recording, UseGraphs = true });
        using var plainCpu = ComputeDevices.Open("cpu", 1);
        await using var eager = InferenceEngine.Load(RepoPaths.Golden("tiny-llama"), new EngineOptions { Backend = plainCpu });

        // Five sequences that stop at different lengths: the decode batch passes through 5, 4, 3, 2 and 1 sequences.
        int[] lengths = [3, 6, 9, 12, 15];
        var expected = await Task.WhenAll(lengths.Select((n, i) => Generate(eager, i, n)));
        var actual = await Task.WhenAll(lengths.Select((n, i) => Generate(graphed, i, n)));

        for (var i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        Assert.True(recording.Replays > 0, "decode steps should replay captured graphs");
        // Batch sizes 1..5 fall into the buckets 1, 2, 4 and 8: at most four graphs, never one per batch size.
        Assert.InRange(recording.Captures, 1, 4);
    }

    private static async Task<int[]> Generate(InferenceEngine engine, int seed, int tokens)
    {
        var prompt = Enumerable.Range(0, 7 + seed).Select(j => 3 + ((j * 37) + (seed * 11)) % 200).ToArray();
        var request = new GenerationRequest { PromptTokenIds = prompt, MaxTokens = tokens, IgnoreEos = true, Sampling = SamplingParams.Greedy };
        var ids = new List<int>();
        await foreach (var e in engine.GenerateAsync(request))
        {
            Assert.Null(e.Error);
            if (e.TokenId >= 0)
            {
                ids.Add(e.TokenId);
            }
        }

        return [.. ids];
    }
}
