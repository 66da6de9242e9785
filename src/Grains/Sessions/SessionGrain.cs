using System.Runtime.CompilerServices;
using System.Threading.Channels;
using InferMesh.Contracts;
using InferMesh.Grains.ChunkCache;
using InferMesh.Grains.Engines;
using InferMesh.Grains.SequenceParallel;
using InferMesh.Grains.Shards;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace InferMesh.Grains.Sessions;

/// <summary>
/// A conversation. Placed by <see cref="SessionPlacementDirector"/> next to an engine serving its model; its KV stays
/// resident in that engine between turns (engine session key = this grain's key) and is released when the grain
/// deactivates or is reset. Each completed turn is written to grain storage before its finishing delta is sent, so
/// when the silo dies the session re-activates elsewhere and rebuilds the same KV from the stored token ids.
/// </summary>
[SessionPlacement]
[CollectionAgeLimit(Minutes = 30)]
public sealed class SessionGrain(
    [PersistentState("session", StorageNames.Sessions)] IPersistentState<SessionState> state,
    LocalEngines engines,
    ILocalSiloDetails silo,
    IOptions<ServingOptions> options,
    RingPrefillRouter ring) : Grain, ISessionGrain
{
    /// <summary>How long a one-off request's session stays after its turn, for the caller to finish reading it.</summary>
    private static readonly TimeSpan EphemeralLinger = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _turnGate = new(1, 1);

    /// <summary>True once a turn ran here: this silo's engine then holds the session's KV.</summary>
    private bool _kvResident;

    private string Key => this.GetPrimaryKeyString();

    private string Silo => silo.SiloAddress.ToParsableString();

    public async IAsyncEnumerable<TokenDelta> Chat(ChatTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!_turnGate.Wait(0))
        {
            throw new InferenceException(InferenceErrorKind.SessionBusy, $"session '{SessionKeys.Split(Key).SessionId}' is already running a turn; wait for it to finish", "session_id");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pumps = Task.CompletedTask;
        try
        {
            var local = EngineFor(turn);
            var raw = turn.Prompt is not null || turn.PromptTokenIds is not null;
            var prompt = turn.PromptTokenIds is { } ids ? TurnPrompt.ForTokenIds(local.Engine.Tokenizer, ids)
                : turn.Prompt is { } text ? TurnPrompt.ForRawPrompt(local.Engine.Tokenizer, text)
                : turn.Documents.Count > 0 ? DocumentPrompt.ForChat(local.Engine, state.State, turn.Messages, turn.Documents, turn.Tools, turn.ForcedToolCallFormat, turn.ChatTemplateKwargs, turn.ForcedReasoningFormat)
                : TurnPrompt.ForChat(local.Engine, state.State, turn.Messages, turn.Tools, turn.ForcedToolCallFormat, turn.ChatTemplateKwargs, turn.ForcedReasoningFormat);
            if (prompt.TokenIds.Count == 0)
            {
                throw new InferenceException(InferenceErrorKind.InvalidRequest, "the prompt encodes to no tokens; send some text", raw ? "prompt" : "messages");
            }

            var maxTokens = MaxTokensFor(turn.Options, prompt.TokenIds.Count, local.Engine.MaxContextLength, raw ? "prompt" : "messages");
            var shardKey = ReplicaLoads.ShardKeyOf(local, Silo);
            var shard = GrainFactory.GetGrain<IModelShardGrain>(shardKey);
            // A request for prompt logprobs computes its whole prompt in its own engine (every position needs logits).
            var imported = turn.Options.PromptLogprobs is null
                ? await ring.TryPrefillAsync(local, shardKey, prompt.TokenIds, _kvResident ? state.State.TokenIds : [], stop.Token)
                : null;

            var options = ConstrainedAfterReasoning(prompt, turn.Options);
            var deltas = Channel.CreateUnbounded<TokenDelta>(new UnboundedChannelOptions { SingleReader = true });
            var choices = new Task[Math.Max(1, turn.Options.N)];
            for (var i = 0; i < choices.Length; i++)
            {
                var reply = new ChoiceReply(i, local.Engine.Tokenizer, turn.Options.Logprobs, turn.Options.EchoPrompt ? prompt : null) { ToolCallFormat = prompt.ToolCallFormat, Reasoning = ReasoningOf(prompt, options) };
                var request = new ShardGenerationRequest
                {
                    PromptTokenIds = prompt.TokenIds,
                    Options = i == 0 || options.Seed is null ? options : options with { Seed = options.Seed + i },
                    MaxTokens = maxTokens,
                    SessionKey = i == 0 && turn.Persist ? Key : null,
                    CacheNamespace = turn.CacheNamespace ?? CacheNamespaces.ForTenant(SessionKeys.Split(Key).Tenant),
                    Segments = prompt.Segments,
                    ImportedPrefixKey = i == 0 ? imported : null,
                };
                choices[i] = PumpChoiceAsync(shard, request, reply, i == 0 && turn.Persist ? (local, prompt) : null, deltas.Writer, stop.Token);
            }

            pumps = CompleteWhenDoneAsync(choices, deltas.Writer);
            await foreach (var delta in deltas.Reader.ReadAllAsync(cancellationToken))
            {
                yield return delta;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await pumps.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            _turnGate.Release();
            if (!turn.Persist)
            {
                // Leave a little later, not at once: the caller fetches the end of the stream with one more call after
                // the last delta, and an activation gone by then answers it "no record of this enumerator".
                this.RegisterGrainTimer(() =>
                {
                    DeactivateOnIdle();
                    return Task.CompletedTask;
                }, EphemeralLinger, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public Task<SessionHistory> History() => Task.FromResult(new SessionHistory
    {
        SessionId = SessionKeys.Split(Key).SessionId,
        Model = state.State.Model,
        Messages = [.. state.State.Messages],
        TokenCount = state.State.TokenIds.Count,
        Turns = state.State.Turns,
        KvSilo = _kvResident ? Silo : null,
        UpdatedAt = state.State.UpdatedAt,
    });

    public async Task Reset()
    {
        ReleaseKv();
        await state.ClearStateAsync();
        state.State = new SessionState();
    }

    public async Task<string> Fork(string newSessionId)
    {
        var (tenant, sessionId) = SessionKeys.Split(Key);
        if (!SessionKeys.IsValidSessionId(newSessionId) || newSessionId == sessionId)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"'{newSessionId}' is not a valid new session id: use 1-{SessionKeys.MaxSessionIdLength} letters, digits or -_.:@, different from the session forked", "session_id");
        }

        if (state.State.Model is { } model)
        {
            RequestContext.Set(RequestContextKeys.Model, model);
        }

        await GrainFactory.GetGrain<ISessionGrain>(SessionKeys.Compose(tenant, newSessionId)).Import(state.State.ToSnapshot());
        return newSessionId;
    }

    public async Task Import(SessionSnapshot snapshot)
    {
        if (state.State.Turns > 0 || state.State.Messages.Count > 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"session '{SessionKeys.Split(Key).SessionId}' already exists; fork into a new session id", "session_id");
        }

        state.State = SessionState.From(snapshot);
        await state.WriteStateAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ReleaseKv();
        return Task.CompletedTask;
    }

    private LocalEngine EngineFor(ChatTurn turn)
    {
        if (state.State.Model is { } bound && turn.Persist && !string.Equals(bound, turn.Model, StringComparison.Ordinal))
        {
            throw new InferenceException(InferenceErrorKind.InvalidRequest, $"session '{SessionKeys.Split(Key).SessionId}' talks to model '{bound}', not '{turn.Model}'; start a new session to change models", "model");
        }

        var local = engines.Find(turn.Model);
        if (local is null)
        {
            // Activated where the model is not served (e.g. first touched by a call that named no model): step aside so
            // the next call places the session again, next to the model.
            DeactivateOnIdle();
            throw new InferenceException(InferenceErrorKind.Unavailable, $"silo {Silo} does not serve model '{turn.Model}'; retry to reach a silo that does");
        }

        return local;
    }

    /// <summary>
    /// A constrained reply (response_format JSON, a forced tool_choice) of a reasoning model reasons freely and is
    /// constrained from its <c>&lt;/think&gt;</c> on, as vLLM does: at once where the prompt opened the think block
    /// (DeepSeek-R1 distills, QwQ); where the reply may open it itself (Qwen3, SmolLM3 thinking), the reply either opens
    /// it first or is constrained from its first token.
    /// </summary>
    private static GenerationOptions ConstrainedAfterReasoning(TurnPrompt prompt, GenerationOptions options) =>
        !IsConstrained(options) ? options
        : prompt.Reasoning is ReplyReasoning.StartsInside or ReplyReasoning.ReasonsWithOptionalTag ? options with { ConstrainAfter = ReasoningFormats.CloseTag }
        : prompt.Reasoning == ReplyReasoning.MayOpenWithTag ? options with { ConstrainAfter = ReasoningFormats.CloseTag, ConstrainAfterOpening = ReasoningFormats.OpenTag }
        : options;

    private static ReplyReasoning ReasoningOf(TurnPrompt prompt, GenerationOptions options) =>
        IsConstrained(options) && options.ConstrainAfter is null ? ReplyReasoning.None : prompt.Reasoning;

    private static bool IsConstrained(GenerationOptions options) => options.JsonObjectOutput || options.JsonSchema is not null;

    private int MaxTokensFor(GenerationOptions o, int promptTokens, int contextLength, string promptParam)
    {
        var room = contextLength - promptTokens;
        if (o.MaxTokens is { } asked && asked > room || room <= 0)
        {
            var completion = o.MaxTokens ?? 1;
            throw new InferenceException(
                InferenceErrorKind.ContextLengthExceeded,
                $"This model's maximum context length is {contextLength} tokens. However, you requested {promptTokens + completion} tokens ({promptTokens} in the {promptParam}, {completion} in the completion). Please reduce the length of the {promptParam} or completion.",
                o.MaxTokens is null ? promptParam : "max_tokens");
        }

        return o.MaxTokens ?? Math.Min(room, options.Value.DefaultMaxTokens);
    }

    private async Task PumpChoiceAsync(IModelShardGrain shard, ShardGenerationRequest request, ChoiceReply reply, (LocalEngine Local, TurnPrompt Prompt)? commit, ChannelWriter<TokenDelta> deltas, CancellationToken cancellationToken)
    {
        await foreach (var e in shard.Generate(request, cancellationToken))
        {
            var delta = reply.Add(e);
            if (delta.FinishReason is not null && commit is { } c)
            {
                await CommitTurnAsync(c.Local, c.Prompt, reply);
            }

            await deltas.WriteAsync(delta, cancellationToken);
        }

        if (reply.FinishReason is null)
        {
            throw new InferenceException(InferenceErrorKind.EngineError, $"the engine ended choice {reply.Index} without a finish reason");
        }
    }

    private static async Task CompleteWhenDoneAsync(Task[] choices, ChannelWriter<TokenDelta> deltas)
    {
        try
        {
            await Task.WhenAll(choices);
            deltas.TryComplete();
        }
        catch (Exception ex)
        {
            deltas.TryComplete(choices.Select(c => c.Exception?.InnerException).FirstOrDefault(e => e is not null) ?? ex);
        }
    }

    /// <summary>Stores the finished turn; only after this succeeds is the client told the turn finished.</summary>
    private async Task CommitTurnAsync(LocalEngine local, TurnPrompt prompt, ChoiceReply reply)
    {
        var replyIds = reply.TokenIdsForHistory();
        var replyText = reply.Text;
        var faithful = string.Equals(local.Engine.Tokenizer.DecodeContinuation(replyIds), replyText, StringComparison.Ordinal);
        var s = state.State;
        s.Model = local.Model;
        s.Messages = [.. prompt.Conversation, reply.AsMessage()];

        // When the reply's tokens do not decode to its text (a stop string was cut off), the next turn encodes from
        // scratch instead of extending: the engine then reuses only the common prefix, but the tokens stay right.
        s.TokenIds = faithful ? [.. prompt.TokenIds, .. replyIds] : [];
        s.RenderedText = faithful ? prompt.Text + replyText : "";
        s.Turns++;
        s.UpdatedAt = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        _kvResident = true;
    }

    private void ReleaseKv()
    {
        if (_kvResident && state.State.Model is { } model)
        {
            engines.Find(model)?.Engine.ReleaseSession(Key);
        }

        _kvResident = false;
    }
}
