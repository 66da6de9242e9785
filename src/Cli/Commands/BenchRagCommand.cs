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
        var command = new Command("bench-rag", "compare full recompute, prefix caching and Cache-Craft chunk reuse on a RAG workload") { corpus, pool, chunkTokens, perRequest, requests, answer, modes, seed, output };
        engine.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var dir = engine.ModelDirectory(result);
            var files = result.GetValue(corpus) is { Length: > 0 } given ? given : Directory.GetFiles("/usr/share/common-licenses").Order().ToArray();
            var text = string.Join("\n\n", files.Select(File.ReadAllText));
            var chunkLen = result.GetValue(chunkTokens);
            var k = result.GetValue(perRequest);
            var context = (k * chunkLen) + 256 + result.GetValue(answer);
            var options = engine.Options(result, maxSequences: 8) with { MaxBatchTokens = Math.Max(2048, context), MaxContextLength = context + 64 };
            RagWorkload? workload = null;
            Dictionary<string, RagRun> runs = [];
            foreach (var mode in (result.GetValue(modes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await using var e = InferenceEngine.Load(dir, options, new ConsoleProgress());
                workload ??= RagWorkload.Create(e.Tokenizer, text, result.GetValue(pool), chunkLen, k, result.GetValue(requests), 1.0, result.GetValue(seed));
                Console.Error.WriteLine($"[infermesh] bench-rag {mode}: {workload.Requests.Count} requests of {k} x {chunkLen}-token chunks ...");
                runs[mode] = await RunAsync(e, workload, Policy(mode), result.GetValue(answer), ct);
            }

            var md = Report(runs, Path.GetFileName(dir), k, chunkLen, workload?.Requests.Count ?? 0);
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

    private static ChunkReusePolicy Policy(string mode) => mode switch
    {
        "full" => new() { Mode = ChunkReuseMode.FullRecompute },
        "prefix" => new() { Mode = ChunkReuseMode.PrefixCaching },
        "cachecraft" => new() { Mode = ChunkReuseMode.CacheCraft },
        _ when mode.StartsWith("fixed-", StringComparison.Ordinal) => new() { Mode = ChunkReuseMode.FixedRatio, FixedRatio = double.Parse(mode[6..], CultureInfo.InvariantCulture) },
        _ => throw new ArgumentException($"unknown mode '{mode}': use full, prefix, cachecraft or fixed-R (e.g. fixed-0.15)."),
    };

    private static async Task<RagRun> RunAsync(InferenceEngine engine, RagWorkload w, ChunkReusePolicy policy, int answerTokens, CancellationToken ct)
    {
        var run = new RagRun();
        var computed0 = engine.Stats.PrefillTokensComputed;
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
            };
            var start = clock.Elapsed.TotalMilliseconds;
            double? ttft = null;
            var tokens = new List<int>();
            TokenLogprob? first = null;
            await foreach (var e in engine.GenerateAsync(request, ct))
            {
                if (e.TokenId < 0)
                {
                    continue;
                }

                ttft ??= clock.Elapsed.TotalMilliseconds - start;
                first ??= e.Logprob;
                tokens.Add(e.TokenId);
            }

            run.Ttft.Add(ttft ?? double.NaN);
            run.Answers.Add(tokens);
            run.FirstTokens.Add(first);
            run.PromptTokens += request.PromptTokenIds.Count;
        }

        run.Seconds = clock.Elapsed.TotalSeconds;
        run.Computed = engine.Stats.PrefillTokensComputed - computed0;
        run.Chunks = engine.ChunkStats;
        return run;
    }

    private static string Report(Dictionary<string, RagRun> runs, string model, int k, int chunkLen, int requests)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"model `{model}`, {requests} requests of {k} chunks x {chunkLen} tokens + instructions + question (Zipf 1.0 popularity, random order)");
        md.AppendLine();
        md.AppendLine("| mode | TTFT p50 ms | TTFT p99 ms | requests/s | prompt tokens computed | chunk hit rate | greedy answer = full | token agreement | first-token KL vs full |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        runs.TryGetValue("full", out var full);
        foreach (var (mode, r) in runs)
        {
            var sorted = r.Ttft.Order().ToArray();
            var hit = r.Chunks.Lookups == 0 ? "-" : $"{100.0 * r.Chunks.Hits / r.Chunks.Lookups:F0}%";
            string same = "-", agree = "-", kl = "-";
            if (full is not null)
            {
                same = $"{100.0 * r.Answers.Zip(full.Answers).Count(p => p.First.SequenceEqual(p.Second)) / r.Answers.Count:F0}%";
                agree = $"{100.0 * r.Answers.Zip(full.Answers).Sum(p => p.First.Zip(p.Second).Count(t => t.First == t.Second)) / Math.Max(1, full.Answers.Sum(a => a.Count)):F0}%";
                kl = r.FirstTokens.Zip(full.FirstTokens).Average(p => TopKl(p.Second, p.First)).ToString("F4", CultureInfo.InvariantCulture);
            }

            if (full is not null && Environment.GetEnvironmentVariable("CC_DUMP") is not null)
            {
                Console.Error.WriteLine($"{mode}: " + string.Join(" ", r.Answers.Zip(full.Answers).Select((p, i) => p.First.SequenceEqual(p.Second) ? "." : $"{i}@{p.First.Zip(p.Second).TakeWhile(t => t.First == t.Second).Count()}")));
            }

            md.AppendLine(CultureInfo.InvariantCulture, $"| {mode} | {Percentile(sorted, 0.5):F1} | {Percentile(sorted, 0.99):F1} | {r.Answers.Count / r.Seconds:F2} | {r.Computed} of {r.PromptTokens} ({100.0 * r.Computed / r.PromptTokens:F0}%) | {hit} | {same} | {agree} | {kl} |");
        }

        return md.ToString();
    }

    /// <summary>KL(p‖q) over p's top-20 tokens, both renormalised over that set (tokens missing from q get q's smallest).</summary>
    private static double TopKl(TokenLogprob? p, TokenLogprob? q)
    {
        if (p is null || q is null)
        {
            return double.NaN;
        }

        var qMap = q.TopAlternatives.ToDictionary(a => a.TokenId, a => (double)a.Logprob);
        var floor = q.TopAlternatives.Min(a => a.Logprob);
        var ps = p.TopAlternatives.Select(a => Math.Exp(a.Logprob)).ToArray();
        var qs = p.TopAlternatives.Select(a => Math.Exp(qMap.TryGetValue(a.TokenId, out var v) ? v : floor)).ToArray();
        double pz = ps.Sum(), qz = qs.Sum(), kl = 0;
        for (var i = 0; i < ps.Length; i++)
        {
            kl += ps[i] / pz * Math.Log((ps[i] / pz) / (qs[i] / qz));
        }

        return kl;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private sealed class RagRun
    {
        public List<double> Ttft { get; } = [];

        public List<List<int>> Answers { get; } = [];

        public List<TokenLogprob?> FirstTokens { get; } = [];

        public long PromptTokens { get; set; }

        public long Computed { get; set; }

        public double Seconds { get; set; }

        public ChunkStoreStats Chunks { get; set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}
