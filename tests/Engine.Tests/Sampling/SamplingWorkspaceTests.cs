using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class SamplingWorkspaceTests
{
    public static TheoryData<string> Configurations => [.. ByName.Keys];

    private static readonly Dictionary<string, SamplingParams> ByName = new()
    {
        ["temperature"] = new() { Temperature = 0.8f, Seed = 60 },
        ["top-k and top-p"] = new() { TopK = 40, TopP = 0.8f, Seed = 60 },
        ["wide top-p"] = new() { Temperature = 1.5f, TopP = 0.97f, Seed = 60 },
        ["min-p"] = new() { MinP = 0.02f, Seed = 60 },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Samplers_sharing_a_larger_workspace_draw_what_private_ones_draw(string configuration)
    {
        float[] first = SamplingReference.RandomLogits(3000, 1.5, seed: 61);
        float[] second = SamplingReference.RandomLogits(3000, 1.5, seed: 62);
        var parameters = ByName[configuration];
        var shared = new SamplingWorkspace(5000);
        var privateA = new TokenSampler(parameters, 3000);
        var privateB = new TokenSampler(parameters with { Seed = 63 }, 3000);
        var sharedA = new TokenSampler(parameters, 3000, workspace: shared);
        var sharedB = new TokenSampler(parameters with { Seed = 63 }, 3000, workspace: shared);

        for (int step = 0; step < 200; step++)
        {
            Assert.Equal(privateA.Sample((float[])first.Clone()), sharedA.Sample((float[])first.Clone()));
            Assert.Equal(privateB.Sample((float[])second.Clone()), sharedB.Sample((float[])second.Clone()));
        }
    }

    [Fact]
    public void Workspace_smaller_than_the_vocabulary_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new TokenSampler(new SamplingParams(), 3000, workspace: new SamplingWorkspace(2000)));

        Assert.Contains("new SamplingWorkspace(3000)", error.Message);
    }
}
