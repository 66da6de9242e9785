using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

public sealed class SamplingParamsValidationTests
{
    public static TheoryData<string, SamplingParams, string> OutOfRange => new()
    {
        { "temperature", new() { Temperature = -0.1f }, "[0, 100]" },
        { "temperature", new() { Temperature = 100.5f }, "[0, 100]" },
        { "temperature", new() { Temperature = float.NaN }, "[0, 100]" },
        { "top_p", new() { TopP = 0f }, "(0, 1]" },
        { "top_p", new() { TopP = 1.01f }, "(0, 1]" },
        { "top_k", new() { TopK = -2 }, "-1, 0" },
        { "min_p", new() { MinP = -0.01f }, "[0, 1]" },
        { "min_p", new() { MinP = 1.5f }, "[0, 1]" },
        { "repetition_penalty", new() { RepetitionPenalty = 0f }, "greater than 0" },
        { "repetition_penalty", new() { RepetitionPenalty = float.PositiveInfinity }, "greater than 0" },
        { "presence_penalty", new() { PresencePenalty = 2.5f }, "[-2, 2]" },
        { "frequency_penalty", new() { FrequencyPenalty = -2.5f }, "[-2, 2]" },
        { "top_logprobs", new() { Logprobs = true, TopLogprobs = 21 }, "[0, 20]" },
        { "top_logprobs", new() { Logprobs = true, TopLogprobs = -1 }, "[0, 20]" },
        { "top_logprobs", new() { TopLogprobs = 3 }, "logprobs set to true" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Out_of_range_parameter_is_named_with_its_allowed_range(string parameter, SamplingParams sampling, string range)
    {
        var error = Assert.Throws<ArgumentException>(sampling.Validate);

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(range, error.Message);
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        var sampling = new SamplingParams
        {
            Temperature = 100f, TopP = 1f, TopK = -1, MinP = 1f, RepetitionPenalty = 0.01f,
            PresencePenalty = -2f, FrequencyPenalty = 2f, Logprobs = true, TopLogprobs = 20,
        };

        sampling.Validate();
    }

    [Fact]
    public void Sampler_validates_its_parameters()
    {
        var error = Assert.Throws<ArgumentException>(() => new TokenSampler(new SamplingParams { TopP = 0f }, 10));

        Assert.Equal("top_p", error.ParamName);
    }
}
