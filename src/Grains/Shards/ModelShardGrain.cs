using System.Runtime.CompilerServices;
using InferMesh.Contracts;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using InferMesh.Grains.ChunkCache;
using InferMesh.Grains.Engines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace InferMesh.Grains.Shards;

/// <summary>
/// Front of one engine on one device of this silo. Reentrant: every session's call runs at once and the engine's
/// continuous batching interleaves them. Refuses work with <see cref="InferenceErrorKind.Overloaded"/> when the
/// engine's waiting queue is full, so overload becomes a 429 instead of unbounded latency.
/// </summary>
[Reentrant]
[ShardPlacement]
public sealed class ModelShardGrain(LocalEngines engines, ILocalSiloDetails silo, IOptions<ServingOptions> options, ILogger<ModelShardGrain> logger) : Grain, IModelShardGrain
{
    private LocalEngine? _engine;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ModelShardKey.Parse(this.GetPrimaryKeyString());
        _engine = engines.Find(key.Model, key.Device)
            ?? throw new InferenceException(InferenceErrorKind.Unavailable, $"this silo has no engine for model '{key.Model}' on {key.Device}");
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ShardTokenEvent> Generate(ShardGenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var engine = Engine.Engine;
        if (engine.Stats.WaitingSequences >= options.Value.MaxWaitingSequences)
        {
            throw new InferenceException(InferenceErrorKind.Overloaded, $"model '{engine.ModelName}' on {Engine.Device} has {engine.Stats.WaitingSequences} requests waiting; retry later");
        }

        var schema = CompileSchema(request.Options, logger);
        var generation = new GenerationRequest
        {
            PromptTokenIds = request.PromptTokenIds,
            Sampling = ToSampling(request.Options),
            MaxTokens = request.MaxTokens,
            StopStrings = request.Options.Stop,
            IgnoreEos = request.Options.IgnoreEos,
            SessionKey = request.SessionKey,
            CacheNamespace = request.CacheNamespace,
            Segments = ChunkSegments.ToEngine(request),
            ImportedPrefixKey = request.ImportedPrefixKey,
            PromptLogprobs = request.Options.PromptLogprobs,
            OutputFormat = schema is not null ? OutputFormat.JsonSchema
                : request.Options.JsonObjectOutput ? OutputFormat.JsonObject : OutputFormat.Text,
            OutputSchema = schema,
            OutputConstraintAfter = request.Options.ConstrainAfter,
            OutputConstraintOpening = request.Options.ConstrainAfterOpening,
        };
        using var chunks = ChunkSegments.Track(ServiceProvider.GetRequiredService<ChunkKeyIndex>(), request, generation.Segments, engine.ModelName);

        var events = engine.GenerateAsync(generation, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await NextAsync(events))
            {
                yield return ToShardEvent(events.Current);
            }
        }
        finally
        {
            await events.DisposeAsync();
        }
    }

    /// <summary>The engine validates requests as they start; its refusals become client errors, not server failures.</summary>
    private static async ValueTask<bool> NextAsync(IAsyncEnumerator<TokenEvent> events)
    {
        try
        {
            return await events.MoveNextAsync();
        }
        catch (ArgumentException ex)
        {
            throw InvalidRequest(ex);
        }
    }

    /// <summary>
    /// response_format json_schema, compiled per request; an unsupported or malformed schema is the client's error. A
    /// schema the gateway built from a forced tool_choice is compiled leniently, and one that still cannot be followed
    /// is dropped (logged): the reply is then decoded unconstrained, as before tool_choice was enforced.
    /// </summary>
    internal static CompiledJsonSchema? CompileSchema(GenerationOptions options, ILogger logger)
    {
        if (options.JsonSchema is not { } schema)
        {
            return null;
        }

        try
        {
            return options.JsonSchemaFromToolChoice
                ? CompiledJsonSchema.Compile(schema, strict: false, lenient: true)
                : CompiledJsonSchema.Compile(schema, options.JsonSchemaStrict);
        }
        catch (ArgumentException ex) when (options.JsonSchemaFromToolChoice)
        {
            logger.LogInformation("tool_choice not enforced: the tools' parameters schemas cannot be followed while decoding ({Reason})", ex.Message);
            return null;
        }
        catch (ArgumentException ex)
        {
            throw InvalidRequest(ex);
        }
    }

    private static InferenceException InvalidRequest(ArgumentException ex)
    {
        // The engine names the request field as the exception's parameter (e.g. logit_bias); the client gets it as param.
        var message = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
        return new InferenceException(InferenceErrorKind.InvalidRequest, message, ex.ParamName);
    }

    public Task ReleaseSession(string sessionKey)
    {
        Engine.Engine.ReleaseSession(sessionKey);
        return Task.CompletedTask;
    }

    public Task<ModelReplicaLoad> GetLoad() => Task.FromResult(ReplicaLoads.Of(Engine, this.GetPrimaryKeyString(), silo.SiloAddress.ToParsableString()));

    private LocalEngine Engine => _engine ?? throw new InvalidOperationException("model shard grain used before activation");

    internal static SamplingParams ToSampling(GenerationOptions o) => new()
    {
        Temperature = o.Temperature,
        TopP = o.TopP,
        TopK = o.TopK,
        Seed = o.Seed,
        PresencePenalty = o.PresencePenalty,
        FrequencyPenalty = o.FrequencyPenalty,
        Logprobs = o.Logprobs,
        TopLogprobs = o.TopLogprobs,
        LogitBias = o.LogitBias,
    };

    internal static ShardTokenEvent ToShardEvent(TokenEvent e)
    {
        if (e.Finish == FinishReason.Error)
        {
            throw new InferenceException(InferenceErrorKind.EngineError, $"the engine failed: {e.Error ?? "no reason given"}");
        }

        if (e.Finish == FinishReason.Cancelled)
        {
            throw new OperationCanceledException("the engine cancelled the sequence");
        }

        int[] topIds = [];
        float[] topLogprobs = [];
        if (e.Logprob is { TopAlternatives.Count: > 0 } lp)
        {
            topIds = new int[lp.TopAlternatives.Count];
            topLogprobs = new float[lp.TopAlternatives.Count];
            for (var i = 0; i < topIds.Length; i++)
            {
                (topIds[i], topLogprobs[i]) = lp.TopAlternatives[i];
            }
        }

        var shardEvent = new ShardTokenEvent
        {
            TokenId = e.TokenId,
            TextDelta = e.TextDelta,
            Logprob = e.Logprob?.Logprob,
            TopTokenIds = topIds,
            TopLogprobs = topLogprobs,
            FinishReason = e.Finish switch
            {
                FinishReason.Stop => "stop",
                FinishReason.Length => "length",
                _ => null,
            },
            PromptTokens = e.PromptTokens,
            CachedPromptTokens = e.CachedPromptTokens,
            ReusedChunkTokens = e.ReusedChunkTokens,
            CompletionTokens = e.CompletionTokens,
        };

        // Only the first token's event of a prompt-logprobs request carries these; every other event keeps the empty defaults.
        return e.PromptLogprobs is not { } prompt ? shardEvent : shardEvent with
        {
            PromptLogprobs = [.. prompt.Select(p => p?.Logprob ?? float.NaN)],
            PromptTopTokenIds = [.. prompt.Select(p => p is null ? [] : p.TopAlternatives.Select(a => a.TokenId).ToArray())],
            PromptTopLogprobs = [.. prompt.Select(p => p is null ? [] : p.TopAlternatives.Select(a => a.Logprob).ToArray())],
        };
    }
}
