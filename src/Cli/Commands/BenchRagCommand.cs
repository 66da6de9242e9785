using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using InferMesh.Cli.Benchmarks;
using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using Spectre.Console;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh bench-rag</c>: the same RAG workload served with full recomputation, prefix caching, Cache-Craft and
/// fixed recompute ratios, each on a fresh engine: TTFT percentiles, throughput, prefill tokens computed, chunk hit
/// rate, and answer quality against full recomputation (greedy agreement, first-token KL over the top-20).
/// </summary>
internal static class BenchRagCommand
{
    public static Command Create()
    {
        var engine = new EngineArguments();
        var corpus = new Option<string[]>("--corpus") { Description = "text files to cut chunks from (default: /usr/share/common-licenses/*)", AllowMultipleArgumentsPerToken = true };
        var pool = new Option<int>("--pool") { DefaultValueFactory = _ => 24, Description = "chunks in the pool" };
        var chunkTokens = new Option<int>("--chunk-tokens") { DefaultValueFactory = _ => 512 };
        var perRequest = new Option<int>("--chunks") { DefaultValueFactory = _ => 5, Description = "chunks per request" };
        var requests = new Option<int>("--requests") { DefaultValueFactory = _ => 20 };
        var answer = new Option<int>("--answer-tokens") { DefaultValueFactory = _ => 16 };
        var modes = new Option<string>("--modes") { DefaultValueFactory = _ => "full,prefix,cachecraft,fixed-0.15,fixed-0.3" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "append the markdown table to this file" };
        var chunkCache = new Option<int>("--chunk-cache-mb") { DefaultValueFactory = _ => 4096, Description = "device memory for chunk caches (the store's device tier; chunks beyond it move to host memory)" };
        var precompute = new Option<bool>("--precompute") { Description = "before measuring, serve each pool chunk once alone after the instructions (as POST /v1/chunks would), in every mode" };
        var kvDeviation = new Option<bool>("--kv-deviation") { Description = "also measure each mode's KV (every layer, every prompt position) against full recomputation's; holds full's KV of every request in host memory, so meant for small models" };
        var command = new Command("bench-rag", "compare full recompute, prefix caching and Cache-Craft chunk reuse on a RAG workload") { corpus, pool, chunkTokens, perRequest, requests, answer, modes, seed, output, precompute, chunkCache, kvDeviation };
        engine.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var dir = engine.ModelDirectory(result);
            var files = result.GetValue(corpus) is { Length: > 0 } given ? given : Directory.GetFiles("/usr/share/common-licenses").Order().ToArray();
            var text = string.Join("\n\n", files.Select(File.ReadAllText));
            var chunkLen = result.GetValue(chunkTokens);
            var k = result.GetValue(perRequest);
            var context = (k * chunkLen) + 256 + result.GetValue(answer);
            var options = engine.Options(result, maxSequences: 8) with
            {
                MaxBatchTokens = Math.Max(2048, context),
                MaxContextLength = context + 64,
                ChunkStore = new ChunkStoreOptions { DeviceBytes = (long)result.GetValue(chunkCache) << 20 },
            };
            RagWorkload? workload = null;
            Dictionary<string, RagRun> runs = [];
            var modeList = (result.GetValue(modes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (result.GetValue(kvDeviation) && modeList.FirstOrDefault() != "full")
            {
                Console.Error.WriteLine("bench-rag: --kv-deviation compares every mode with full recomputation; list 'full' first in --modes.");
                return 2;
            }

            foreach (var mode in modeList)
            {
                await using var e = InferenceEngine.Load(dir, options, new ConsoleProgress());
                workload ??= RagWorkload.Create(e.Tokenizer, text, result.GetValue(pool), chunkLen, k, result.GetValue(requests), 1.0, result.GetValue(seed));
                Console.Error.WriteLine($"[infermesh] bench-rag {mode}: {workload.Requests.Count} requests of {k} x {chunkLen}-token chunks ...");
                if (result.GetValue(precompute))
                {
                    await PrecomputeAsync(e, workload, Policy(mode), ct);
                }

                runs[mode] = await RunAsync(e, workload, Policy(mode), result.GetValue(answer), result.GetValue(kvDeviation), runs.GetValueOrDefault("full"), ct);
            }

            var md = RagReport.Markdown(runs, Path.GetFileName(dir), k, chunkLen, workload?.Requests.Count ?? 0, result.GetValue(precompute));
            AnsiConsole.Write(new Markup(Markup.Escape(md)));
            Console.WriteLine();
            if (result.GetValue(output) is { } path)
            {
                File.AppendAllText(path, md + Environment.NewLine);
            }

            return 0;
        });
        return command;
    }

    /// <summary>A mode name, optionally with "@W" for the recency window in tokens (e.g. cachecraft@0 to ablate it).</summary>
    private static ChunkReusePolicy Policy(string mode)
    {
        var at = mode.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? mode : mode[..at];
        ChunkReusePolicy policy = name switch
        {
            "full" => new() { Mode = ChunkReuseMode.FullRecompute },
            "prefix" => new() { Mode = ChunkReuseMode.PrefixCaching },
            "cachecraft" => new() { Mode = ChunkReuseMode.CacheCraft },
            _ when name.StartsWith("fixed-", StringComparison.Ordinal) && double.TryParse(name[6..], CultureInfo.InvariantCulture, out var ratio) =>
                new() { Mode = ChunkReuseMode.FixedRatio, FixedRatio = ratio },
            _ => throw new ArgumentException($"unknown mode '{mode}': use full, prefix, cachecraft or fixed-R (e.g. fixed-0.15), optionally with @W for the recency window (e.g. cachecraft@0)."),
        };
        if (at < 0)
        {
            return policy;
        }

        return int.TryParse(mode[(at + 1)..], CultureInfo.InvariantCulture, out var window) && window >= 0
            ? policy with { RecencyWindow = window }
            : throw new ArgumentException($"mode '{mode}': the recency window after '@' must be a whole number of tokens >= 0.");
    }

    /// <summary>Serves every pool chunk once, alone after the instructions, so the measured requests find them cached.</summary>
    private static async Task PrecomputeAsync(InferenceEngine engine, RagWorkload w, ChunkReusePolicy policy, CancellationToken ct)
    {
        foreach (var chunk in w.Chunks)
        {
            var segments = new List<PromptSegment> { new(w.InstructionIds, false), new(chunk, true) };
            var request = new GenerationRequest
            {
                PromptTokenIds = segments.SelectMany(s => s.TokenIds).ToArray(),
                Segments = segments,
                ChunkReuse = policy,
                MaxTokens = 1,
                IgnoreEos = true,
                Sampling = SamplingParams.Greedy,
            };
            await foreach (var _ in engine.GenerateAsync(request, ct))
            {
            }
        }
    }

    /// <param name="engine">A fresh engine for this mode.</param>
    /// <param name="w">The workload.</param>
    /// <param name="policy">The mode's chunk reuse policy.</param>
    /// <param name="answerTokens">Greedy answer tokens per request.</param>
    /// <param name="kvDeviation">Read every request's prompt KV back (off the clock): kept when <paramref name="full"/> is null, else compared with full's.</param>
    /// <param name="full">The full-recomputation run measured before, if any.</param>
    /// <param name="ct">Cancellation.</param>
    private static async Task<RagRun> RunAsync(InferenceEngine engine, RagWorkload w, ChunkReusePolicy policy, int answerTokens, bool kvDeviation, RagRun? full, CancellationToken ct)
    {
        var run = new RagRun();
        var computed0 = engine.Stats.PrefillTokensComputed;
        var chunks0 = engine.ChunkStats;
        var clock = Stopwatch.StartNew();
        foreach (var (chunks, question) in w.Requests)
        {
            var segments = new List<PromptSegment> { new(w.InstructionIds, false) };
            segments.AddRange(chunks.Select(c => new PromptSegment(w.Chunks[c], true)));
            segments.Add(new PromptSegment(question, false));
            var request = new GenerationRequest
            {
                PromptTokenIds = segments.SelectMany(s => s.TokenIds).ToArray(),
                Segments = segments,
                ChunkReuse = policy,
                MaxTokens = answerTokens,
                IgnoreEos = true,
                Sampling = SamplingParams.Greedy with { Logprobs = true, TopLogprobs = 20 },
                SessionKey = kvDeviation ? $"bench-rag-{run.Answers.Count}" : null,
            };
            var start = clock.Elapsed.TotalMilliseconds;
            double? ttft = null;
            var tokens = new List<int>();
            TokenLogprob? first = null;
            var margins = new List<float>();
            await foreach (var e in engine.GenerateAsync(request, ct))
            {
                if (e.TokenId < 0)
                {
                    continue;
                }

                ttft ??= clock.Elapsed.TotalMilliseconds - start;
                first ??= e.Logprob;
                margins.Add(e.Logprob is { } lp && lp.TopAlternatives.Count > 1 ? lp.TopAlternatives[0].Logprob - lp.TopAlternatives[1].Logprob : float.PositiveInfinity);
                tokens.Add(e.TokenId);
            }

            if (request.SessionKey is { } key)
            {
                clock.Stop(); // reading the KV back is not part of serving
                var kv = await engine.ReadSessionKvAsync(key, request.PromptTokenIds.Count)
                    ?? throw new InvalidOperationException($"the engine kept no KV for {key}; cannot measure KV deviation.");
                if (full is null)
                {
                    run.Kv.Add(kv);
                }
                else
                {
                    run.KvDeviation.Add(kv.DeviationFrom(full.Kv[run.Answers.Count]));
                }

                engine.ReleaseSession(key);
                clock.Start();
            }

            run.Ttft.Add(ttft ?? double.NaN);
            run.Answers.Add(tokens);
            run.FirstTokens.Add(first);
            run.Margins.Add(margins);
            run.PromptTokens += request.PromptTokenIds.Count;
        }

        run.Seconds = clock.Elapsed.TotalSeconds;
        await engine.WaitForIdleAsync(); // the last step's counters are published when the engine goes idle
        run.Computed = engine.Stats.PrefillTokensComputed - computed0;
        run.Chunks = engine.ChunkStats;
        run.ChunkLookups = run.Chunks.Lookups - chunks0.Lookups;
        run.ChunkHits = run.Chunks.Hits - chunks0.Hits;
        return run;
    }
}
