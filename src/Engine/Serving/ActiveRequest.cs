using System.Threading.Channels;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Scheduling;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Serving;

/// <summary>A request in flight: its sequence, sampler, detokenizer, stop matcher and output channel.</summary>
internal sealed class ActiveRequest
{
    public ActiveRequest(Sequence sequence, GenerationRequest request, TokenSampler sampler, StreamingDecoder decoder, IReadOnlyList<int> eosTokenIds)
    {
        Sequence = sequence;
        Request = request;
        Sampler = sampler;
        Decoder = decoder;
        StopMatcher = new StopStringMatcher(request.StopStrings);
        StopTokens = [.. request.StopTokenIds];
        if (!request.IgnoreEos)
        {
            StopTokens.UnionWith(eosTokenIds);
        }
    }

    public Sequence Sequence { get; }

    /// <summary>Prompt logprobs filled while the prompt is computed (see <see cref="GenerationRequest.PromptLogprobs"/>); handed out with the first token, then null.</summary>
    public TokenLogprob?[]? PromptLogprobs { get; set; }

    public GenerationRequest Request { get; }

    public TokenSampler Sampler { get; }

    public StreamingDecoder Decoder { get; }

    public StopStringMatcher StopMatcher { get; }

    public HashSet<int> StopTokens { get; }

    public Channel<TokenEvent> Output { get; } = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Set once the final event was written; later cancels are no-ops.</summary>
    public bool Completed { get; set; }

    /// <summary>Greedy, no penalties, biases or output constraint, no logprobs: the next token can be picked on the device (only ids are copied back).</summary>
    public bool DeviceArgmaxEligible =>
        Request.Sampling.IsGreedy && !Request.Sampling.Logprobs && Request.Sampling.RepetitionPenalty == 1f
        && Request.Sampling.PresencePenalty == 0f && Request.Sampling.FrequencyPenalty == 0f
        && Request.Sampling.LogitBias is not { Count: > 0 } && Request.PromptLogprobs is null
        && Request.OutputFormat == OutputFormat.Text;
}
