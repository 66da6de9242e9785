using InferMesh.Engine.Sampling;
using InferMesh.Engine.Scheduling;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>The step loop: schedule → forward → sample → emit. Runs on its own thread and owns all engine state.</summary>
public sealed partial class InferenceEngine
{
    private readonly Dictionary<Sequence, ActiveRequest> _active = [];
    private readonly List<Sequence> _rejected = [];
    private readonly List<Sequence> _promptsDone = [];
    private readonly List<TaskCompletionSource> _idleWaiters = [];
    private readonly float[] _hostLogits;
    private readonly int[] _argmaxIds;
    private long _prefillComputed, _prefillReused, _generated, _steps;

    private void RunLoop()
    {
        while (!_shutdown.IsCancellationRequested)
        {
            while (_inbox.TryDequeue(out var action))
            {
                action();
            }

            if (!_scheduler.HasWork)
            {
                PublishStats();
                foreach (var waiter in _idleWaiters)
                {
                    waiter.TrySetResult();
                }

                _idleWaiters.Clear();
                _wake.Wait(_shutdown.Token.CanBeCanceled ? 1000 : Timeout.Infinite);
                continue;
            }

            try
            {
                Step();
            }
            catch (Exception e)
            {
                // A failing step must not kill the engine silently: fail every request in flight with the reason.
                foreach (var active in _active.Values.ToArray())
                {
                    Finish(active, FinishReason.Error, $"engine step failed: {e.Message}");
                }
            }
        }

        foreach (var active in _active.Values.ToArray())
        {
            Finish(active, FinishReason.Cancelled, "engine is shutting down");
        }
    }

    private void Step()
    {
        _rejected.Clear();
        var plan = _scheduler.Schedule(_rejected);
        foreach (var seq in _rejected)
        {
            if (_active.TryGetValue(seq, out var rejected))
            {
                Finish(rejected, FinishReason.Error, $"the sequence needs {(seq.Length + _allocator.BlockSize - 1) / _allocator.BlockSize} KV blocks but the cache has {_allocator.TotalBlocks}; give the engine more KV memory or shorten the prompt.");
            }
        }

        if (plan.Count == 0)
        {
            return;
        }

        _batch.Clear();
        var allDeviceArgmax = true;
        foreach (var chunk in plan)
        {
            if (chunk.Sparse)
            {
                var positions = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(chunk.Sequence.SparsePositions).Slice(chunk.Start, chunk.Count);
                _batch.AddPositions(chunk.Sequence.Tokens, positions, chunk.Sequence.Blocks, chunk.NeedsLogits);
            }
            else
            {
                var allPrompt = PromptRowsKeepLogits(chunk);
                _batch.Add(chunk.Sequence.Tokens, chunk.Start, chunk.Count, chunk.Sequence.Blocks, chunk.NeedsLogits || allPrompt, allLogits: allPrompt);
                allDeviceArgmax &= !allPrompt;
            }

            if (chunk.NeedsLogits && !_active[chunk.Sequence].DeviceArgmaxEligible)
            {
                allDeviceArgmax = false;
            }
        }

        var scorer = PrepareChunkScoring(plan);
        DeviceTensor? logits;
        var graphed = _decodeGraphs is not null && scorer is null && IsPureDecode(plan);
        if (graphed)
        {
            logits = _decodeGraphs!.Run(_batch, _cache, allDeviceArgmax);
        }
        else
        {
            logits = _model.Forward(_batch, _cache, scorer);
        }

        var vocab = _folder.Config.VocabSize;
        if (logits is not null)
        {
            if (allDeviceArgmax)
            {
                if (!graphed)
                {
                    _model.ArgmaxKernelOnly(logits);
                }

                _model.DownloadArgmax(_argmaxIds.AsSpan(0, logits.Rows));
            }
            else
            {
                _backend.Download(logits, _hostLogits.AsSpan(0, logits.Rows * vocab));
            }
        }

        scorer?.Clear(); // after the logits: the step has finished on the device, so its download waits for nothing

        _steps++;
        var row = 0;
        foreach (var chunk in plan)
        {
            var seq = chunk.Sequence;
            var needsLogits = chunk.NeedsLogits; // before the sparse bookkeeping below changes what it reads
            var allPrompt = PromptRowsKeepLogits(chunk);
            if (chunk.Sparse)
            {
                _prefillComputed += chunk.Count;
                seq.SparseCursor += chunk.Count;
                if (seq.SparseCursor == seq.SparsePositions!.Count)
                {
                    // Every position is now either computed or placed from the chunk cache.
                    seq.ComputedTokens = seq.Length;
                    seq.SparsePositions = null;
                    seq.SparseCursor = 0;
                    _promptsDone.Add(seq);
                }
            }
            else
            {
                var promptPart = Math.Max(0, Math.Min(chunk.Start + chunk.Count, seq.PromptLength) - chunk.Start);
                _prefillComputed += promptPart;
                seq.ComputedTokens += chunk.Count;
                if (_captures.Count > 0 && seq.ComputedTokens >= seq.PromptLength)
                {
                    _promptsDone.Add(seq);
                }
            }

            seq.PublishFullBlocks(_allocator);
            if (allPrompt)
            {
                RecordPromptLogprobs(_active[seq], chunk, row, vocab);
                row += chunk.Count - 1; // the last row, when it ends the prompt, samples below
                if (!needsLogits)
                {
                    row++;
                    continue;
                }
            }

            if (!needsLogits)
            {
                continue;
            }

            var active = _active[seq];
            int token;
            TokenLogprob? logprob = null;
            if (allDeviceArgmax)
            {
                // Device argmax only serves samplers without penalties, so no token counts need updating.
                token = _argmaxIds[row];
            }
            else
            {
                // Sample counts the token it returns for the penalties itself.
                token = active.Sampler.Sample(_hostLogits.AsSpan(row * vocab, vocab), out logprob);
            }

            row++;
            Emit(active, token, logprob);
        }

        // Chunks are stored once the step's tokens are out, so storing them never delays a first token.
        foreach (var seq in _promptsDone)
        {
            CaptureChunks(seq);
        }

        _promptsDone.Clear();
        if (_steps % 16 == 0)
        {
            PublishStats();
        }
    }

    /// <summary>A prefill chunk of a sequence that asked for prompt logprobs: every row keeps its logits.</summary>
    private static bool PromptRowsKeepLogits(ScheduledChunk chunk) =>
        !chunk.Sparse && chunk.Sequence.AllPromptLogits && chunk.Start < chunk.Sequence.PromptLength;

    /// <summary>Log-probability of each next prompt token from the rows of this chunk (indexed by position, so a recompute after preemption overwrites).</summary>
    private void RecordPromptLogprobs(ActiveRequest active, ScheduledChunk chunk, int firstRow, int vocab)
    {
        var seq = chunk.Sequence;
        var top = active.Request.PromptLogprobs ?? 0;
        var logprobs = active.PromptLogprobs ??= new TokenLogprob?[seq.PromptLength];
        for (var i = 0; i < chunk.Count; i++)
        {
            var next = chunk.Start + i + 1;
            if (next < seq.PromptLength)
            {
                logprobs[next] = LogprobOfToken.Of(_hostLogits.AsSpan((firstRow + i) * vocab, vocab), seq.Tokens[next], top, _samplingWorkspace);
            }
        }
    }

    /// <summary>One token per sequence, each sampling afterwards: the shape a decode graph replays.</summary>
    private static bool IsPureDecode(IReadOnlyList<ScheduledChunk> plan)
    {
        foreach (var chunk in plan)
        {
            if (chunk.Sparse || chunk.Count != 1 || !chunk.NeedsLogits)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Appends a sampled token, streams its text, and finishes the request on a stop condition.</summary>
    private void Emit(ActiveRequest active, int token, TokenLogprob? logprob)
    {
        var seq = active.Sequence;
        seq.Append(token);
        _generated++;
        if (active.StopTokens.Contains(token))
        {
            if (active.Request.PromptLogprobs is not null)
            {
                // The stop token is reported (no text) so the prompt logprobs reach the client and, as in vLLM, the
                // generated entry is there: lm-eval's loglikelihood drops the last entry as the generated one.
                active.Output.Writer.TryWrite(TokenEventFor(active, token, "", logprob));
            }

            Finish(active, FinishReason.Stop, null);
            return;
        }

        var text = active.StopMatcher.Push(active.Decoder.Push(token));
        if (active.StopMatcher.IsStopped)
        {
            active.Output.Writer.TryWrite(TokenEventFor(active, token, text, logprob));
            Finish(active, FinishReason.Stop, null, flushText: false);
            return;
        }

        var atLimit = seq.GeneratedCount >= seq.MaxNewTokens || seq.Length >= MaxContextLength;
        if (!atLimit)
        {
            active.Output.Writer.TryWrite(TokenEventFor(active, token, text, logprob));
            return;
        }

        active.Output.Writer.TryWrite(TokenEventFor(active, token, text, logprob));
        Finish(active, FinishReason.Length, null);
    }

    /// <summary>A token's event; the request's first also carries its prompt logprobs when it asked for them.</summary>
    private static TokenEvent TokenEventFor(ActiveRequest active, int token, string text, TokenLogprob? logprob)
    {
        var prompt = active.PromptLogprobs;
        active.PromptLogprobs = null;
        if (prompt is not null)
        {
            active.Sequence.AllPromptLogits = false; // delivered: a recompute after preemption is an ordinary one
        }

        return new TokenEvent { TokenId = token, TextDelta = text, Logprob = logprob, PromptLogprobs = prompt };
    }

    private void Admit(ActiveRequest active)
    {
        _active[active.Sequence] = active;
        if (active.Sequence.AllPromptLogits)
        {
            _scheduler.Enqueue(active.Sequence); // computes every position (see GenerationRequest.PromptLogprobs)
            return;
        }

        if (!ResumeImport(active))
        {
            ResumeSession(active);
        }

        PlanSegments(active);
        _scheduler.Enqueue(active.Sequence);
    }

    private void Cancel(ActiveRequest active)
    {
        if (!active.Completed)
        {
            Finish(active, FinishReason.Cancelled, null);
        }
    }

    /// <summary>Frees (or, for a session, keeps) the sequence's KV, then writes the final event and closes the stream.</summary>
    private void Finish(ActiveRequest active, FinishReason reason, string? error, bool flushText = true)
    {
        if (active.Completed)
        {
            return;
        }

        active.Completed = true;
        var seq = active.Sequence;
        _active.Remove(seq);
        if (reason != FinishReason.Error)
        {
            CaptureChunks(seq); // a request that ends in its first step still stores its chunks, before its blocks go
        }

        _captures.Remove(seq);
        if (active.Request.SessionKey is { } key && reason is FinishReason.Stop or FinishReason.Length && seq.Status == SequenceStatus.Running)
        {
            _scheduler.Detach(seq);
            RetainSession(key, seq);
        }
        else
        {
            _scheduler.Remove(seq);
        }

        _prefillReused += seq.CachedPromptTokens;
        var tail = "";
        if (flushText && reason != FinishReason.Cancelled)
        {
            tail = active.StopMatcher.Push(active.Decoder.Flush());
            if (!active.StopMatcher.IsStopped)
            {
                tail += active.StopMatcher.Flush();
            }
        }

        // Stats first: a caller that reads them as soon as the final event arrives must see this request counted.
        PublishStats();
        active.Output.Writer.TryWrite(new TokenEvent
        {
            TextDelta = tail,
            Finish = reason,
            PromptTokens = seq.PromptLength,
            CachedPromptTokens = seq.CachedPromptTokens,
            ReusedChunkTokens = seq.ReusedChunkTokens,
            CompletionTokens = seq.GeneratedCount,
            Error = error,
        });
        active.Output.Writer.TryComplete();
    }

    private void PublishStats()
    {
        _stats = new EngineStats
        {
            RunningSequences = _scheduler.RunningCount,
            WaitingSequences = _scheduler.WaitingCount,
            TotalKvBlocks = _allocator.TotalBlocks,
            UsedKvBlocks = _allocator.UsedBlocks,
            CachedKvBlocks = _allocator.CachedBlocks,
            PrefillTokensComputed = _prefillComputed,
            PrefillTokensReused = _prefillReused,
            GeneratedTokens = _generated,
            PrefixCacheQueries = _scheduler.PrefixQueries,
            PrefixCacheHits = _scheduler.PrefixHits,
            Preemptions = _scheduler.Preemptions,
            Steps = _steps,
            ResidentSessions = ResidentSessionCount(),
            ImportedPrefillTokens = _importedTokens,
        };
    }
}
