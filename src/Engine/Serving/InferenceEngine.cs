using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.KvCache;
using InferMesh.Engine.Model;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Scheduling;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// One model on one device serving many sequences at once. Callers submit requests from any thread; one step loop
/// thread owns the scheduler, the KV cache and the model, and streams tokens back through per-request channels.
/// Read the loop in <c>InferenceEngine.Step.cs</c>: schedule → forward → sample → emit.
/// </summary>
public sealed partial class InferenceEngine : IInferenceEngine
{
    private readonly ModelFolder _folder;
    private readonly IComputeBackend _backend;
    private readonly bool _ownsBackend;
    private readonly LlamaWeights _weights;
    private readonly LlamaModel _model;
    private readonly KvCachePool _cache;
    private readonly BlockAllocator _allocator;
    private readonly Scheduler _scheduler;
    private readonly StepBatch _batch;
    private readonly EngineOptions _options;
    private readonly ConcurrentQueue<Action> _inbox = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _loop;
    private readonly CancellationTokenSource _shutdown = new();
    private long _nextSequenceId;
    private volatile EngineStats _stats = new();

    // Scratch shared by every sampler; Sample only ever runs on the step loop thread.
    private readonly SamplingWorkspace _samplingWorkspace;
    private readonly ChunkStore _chunkStore;
    private readonly ChunkArena _chunkArena;
    private readonly ChunkKvCopier _chunkCopier;
    private readonly ChunkScorer _chunkScorer;
    private readonly DecodeGraphs? _decodeGraphs;

    private InferenceEngine(ModelFolder folder, EngineOptions options, IProgress<string>? progress)
    {
        _folder = folder;
        _options = options;
        var config = folder.Config;
        _ownsBackend = options.Backend is null;
        _backend = options.Backend ?? folder.OpenBackend(options);
        try
        {
            progress?.Report($"loading {folder.Name} ({config.NumHiddenLayers} layers, hidden {config.HiddenSize}) onto {_backend.DeviceName}");
            MaxContextLength = Math.Min(options.MaxContextLength ?? config.MaxPositionEmbeddings, config.MaxPositionEmbeddings);
            if (config.Rope.Type == "longrope")
            {
                progress?.Report(RotaryFrequencies.UsesLongFactors(config, MaxContextLength)
                    ? $"longrope: long factors for every sequence (context {MaxContextLength} > original {config.Rope.OriginalMaxPositionEmbeddings}); a context of at most {config.Rope.OriginalMaxPositionEmbeddings} uses the short ones"
                    : $"longrope: short factors (context {MaxContextLength} within the original {config.Rope.OriginalMaxPositionEmbeddings})");
            }

            _weights = LlamaWeights.Load(_backend, config, folder.Weights, progress: progress, rotaryContextLength: MaxContextLength);
            var maxBlocksPerSequence = (MaxContextLength + options.BlockSize - 1) / options.BlockSize;
            var maxTokens = Math.Max(options.MaxBatchTokens, options.MaxSequences);
            var logitRows = options.MaxSequences + SchedulerOptions.PromptLogitRows;
            _model = new LlamaModel(_backend, _weights, options.BlockSize, maxTokens, logitRows, maxBlocksPerSequence);
            var blocks = KvCacheSizing.Blocks(_backend, config, options, maxBlocksPerSequence);
            _cache = new KvCachePool(_backend, config.NumHiddenLayers, blocks, options.BlockSize, config.NumKeyValueHeads * config.HeadDim);
            // Graph-captured decode pads batches with rows that write one reserved block (see DecodeGraphs).
            // Expert models route on the host mid-step (MixtureOfExperts), which a captured graph cannot replay.
            var graphs = options.UseGraphs && _backend is IGraphCapture && blocks > 1 && config.Experts is null;
            _allocator = new BlockAllocator(graphs ? blocks - 1 : blocks, options.BlockSize);
            _scheduler = new Scheduler(_allocator, new SchedulerOptions
            {
                MaxBatchTokens = maxTokens,
                MaxSequences = options.MaxSequences,
                MaxPrefillChunk = options.MaxPrefillChunk,
                EnablePrefixCaching = options.EnablePrefixCaching,
            }, ReclaimOneSession);
            _batch = new StepBatch(maxTokens, logitRows, maxBlocksPerSequence, options.BlockSize);
            _hostLogits = new float[logitRows * config.VocabSize];
            _argmaxIds = new int[options.MaxSequences];
            _samplingWorkspace = new SamplingWorkspace(config.VocabSize);
            var kvWidth = config.NumKeyValueHeads * config.HeadDim;
            _chunkArena = new ChunkArena(_backend, config.NumHiddenLayers, kvWidth, options.BlockSize, options.ChunkStore.DeviceBytes);
            _chunkCopier = new ChunkKvCopier(_backend, _chunkArena, _cache, _model.InvFreqForLayer, config.HeadDim);
            _chunkStore = new ChunkStore(_chunkCopier, options.ChunkStore);
            _minRecomputeRun = options.ChunkStore.MinRecomputeRun ?? 1;
            _decodeGraphs = graphs ? new DecodeGraphs(_model, (IGraphCapture)_backend, MaxContextLength, options.MaxSequences, padBlock: blocks - 1) : null;
            _chunkScorer = new ChunkScorer(_backend, kvWidth, config.NumAttentionHeads, config.HeadDim, options.BlockSize, config.NumHiddenLayers);
            progress?.Report($"KV cache: {blocks} blocks of {options.BlockSize} tokens ({blocks * options.BlockSize} tokens)");
        }
        catch
        {
            if (_ownsBackend)
            {
                _backend.Dispose();
            }

            throw;
        }

        _loop = new Thread(RunLoop) { IsBackground = true, Name = $"infermesh-engine-{folder.Name}" };
        _loop.Start();
        PublishStats();
    }

    /// <summary>Opens a Hugging Face model folder and starts an engine on the configured device.</summary>
    public static InferenceEngine Load(string modelDirectory, EngineOptions? options = null, IProgress<string>? progress = null)
    {
        var folder = ModelFolder.Open(modelDirectory);
        try
        {
            return new InferenceEngine(folder, options ?? new EngineOptions(), progress);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public string ModelName => _options.ModelName ?? _folder.Name;

    public int MaxContextLength { get; }

    public TextTokenizer Tokenizer => _folder.Tokenizer;

    /// <summary>Each token's bytes in decoded text, built on the first request that constrains its output's format.</summary>
    private DecodedTokenBytes? _decodedTokens;
    private TokenTrie? _tokenTrie;

    private DecodedTokenBytes DecodedTokens => LazyInitializer.EnsureInitialized(ref _decodedTokens, () => new DecodedTokenBytes(Tokenizer));

    private TokenTrie TokenTrie => LazyInitializer.EnsureInitialized(ref _tokenTrie, () => new TokenTrie(DecodedTokens));

    public ChatTemplate? ChatTemplate => _folder.ChatTemplate;

    public ModelFolder Folder => _folder;

    public string DeviceName => _backend.DeviceName;

    public IReadOnlyList<int> EosTokenIds => _folder.EosTokenIds;

    public EngineStats Stats => _stats;

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(request);
        var seed = request.CacheNamespace.Length == 0 ? 0 : BlockHash.Of(0, request.CacheNamespace.Select(c => (int)c).ToArray());
        var sequence = new Sequence(Interlocked.Increment(ref _nextSequenceId), request.PromptTokenIds, request.MaxTokens)
        {
            HashSeed = seed,
            LastBlockHash = seed,
            AllPromptLogits = request.PromptLogprobs is not null,
            PrefixLookedUp = request.PromptLogprobs is not null, // every position is computed for its logits
        };
        IOutputConstraint? constraint = request.OutputFormat switch
        {
            OutputFormat.JsonObject => new JsonOutputConstraint(DecodedTokens, [.. _folder.EosTokenIds, .. request.StopTokenIds]),
            OutputFormat.JsonSchema => new JsonSchemaConstraint(
                request.OutputSchema ?? throw new ArgumentException("OutputFormat.JsonSchema needs OutputSchema (CompiledJsonSchema.Compile of the schema).", nameof(request)),
                TokenTrie,
                [.. _folder.EosTokenIds, .. request.StopTokenIds]),
            _ => null,
        };
        if (constraint is not null && request.OutputConstraintAfter is { Length: > 0 } marker)
        {
            var opening = request.OutputConstraintOpening is { Length: > 0 } open ? System.Text.Encoding.UTF8.GetBytes(open) : null;
            constraint = new DeferredOutputConstraint(constraint, DecodedTokens, System.Text.Encoding.UTF8.GetBytes(marker), opening);
        }

        var sampler = new TokenSampler(request.Sampling, _folder.Config.VocabSize, request.PromptTokenIds, _samplingWorkspace, constraint);
        var active = new ActiveRequest(sequence, request, sampler, Tokenizer.CreateStreamingDecoder(skipSpecialTokens: true, continuation: request.PromptTokenIds.Count > 0), _folder.EosTokenIds);
        Post(() => Admit(active));
        using var registration = cancellationToken.Register(() => Post(() => Cancel(active)));
        var finished = false;
        try
        {
            await foreach (var e in active.Output.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                finished = e.Finish != FinishReason.None;
                yield return e;
                if (cancellationToken.IsCancellationRequested && !finished)
                {
                    break;
                }
            }
        }
        finally
        {
            if (!finished)
            {
                Post(() => Cancel(active));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    public void ReleaseSession(string sessionKey) => Post(() => DropSession(sessionKey));

    /// <summary>Waits until every request submitted so far has been admitted or finished and the loop is idle.</summary>
    public Task WaitForIdleAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() => _idleWaiters.Add(done));
        return done.Task;
    }

    private void Validate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptTokenIds.Count == 0)
        {
            throw new ArgumentException("the prompt is empty: give at least one token.", nameof(request));
        }

        if (request.MaxTokens < 1)
        {
            throw new ArgumentException($"max_tokens must be at least 1 (got {request.MaxTokens}).", nameof(request));
        }

        var total = request.PromptTokenIds.Count + request.MaxTokens;
        if (total > MaxContextLength)
        {
            throw new ContextLengthException(request.PromptTokenIds.Count, request.MaxTokens, MaxContextLength);
        }

        var vocab = _folder.Config.VocabSize;
        foreach (var id in request.PromptTokenIds)
        {
            if ((uint)id >= (uint)vocab)
            {
                throw new ArgumentException($"prompt token id {id} is outside the model's vocabulary [0, {vocab}).", nameof(request));
            }
        }

        request.Sampling.Validate();
        if (request.PromptLogprobs is < 0 or > SamplingParams.MaxTopLogprobs)
        {
            throw new ArgumentException($"prompt_logprobs must be in [0, {SamplingParams.MaxTopLogprobs}] (got {request.PromptLogprobs}).", "prompt_logprobs");
        }

        if (request.Segments is { } segments)
        {
            var joined = segments.SelectMany(s => s.TokenIds);
            if (!joined.SequenceEqual(request.PromptTokenIds))
            {
                throw new ArgumentException("the prompt segments, concatenated, must equal the prompt token ids.", nameof(request));
            }
        }
    }

    private void Post(Action action)
    {
        _inbox.Enqueue(action);
        _wake.Release();
    }

    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        _shutdown.Cancel();
        _wake.Release();
        await Task.Run(() => _loop.Join()).ConfigureAwait(false);
        _chunkStore.Dispose();
        _chunkArena.Dispose();
        _chunkCopier.Dispose();
        _chunkScorer.Dispose();
        _decodeGraphs?.Dispose();
        _model.Dispose();
        _cache.Dispose();
        _weights.Dispose();
        if (_ownsBackend)
        {
            _backend.Dispose();
        }

        _folder.Dispose();
        _wake.Dispose();
        _shutdown.Dispose();
    }
}
