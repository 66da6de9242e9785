using System.Diagnostics;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Benchmarks;

/// <summary>
/// Measures one engine: steady-state decode throughput at a batch size and context, and prefill time of one prompt.
/// Prompts are deterministic pseudo-random token ids (same seed → same prompts as the transformers peer script).
/// </summary>
internal static class EngineBenchmark
{
    /// <summary>
    /// Benchmark prompt ids: SplitMix64 over the seed, id = x mod min(vocab, 32000). bench/peers/hf_transformers.py
    /// computes the same ids, so both engines see identical prompts.
    /// </summary>
    public static int[] Prompt(int length, int vocab, int seed)
    {
        var ids = new int[length];
        var x = (ulong)seed;
        var range = (ulong)Math.Min(vocab, 32000);
        for (var i = 0; i < length; i++)
        {
            x += 0x9E3779B97F4A7C15UL;
            var z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            ids[i] = (int)(z % range);
        }

        return ids;
    }

    /// <summary>
    /// Decode tokens/s of <paramref name="batch"/> sequences: counted in the window where all of them decode — after
    /// every sequence has its first token (all prefills done) until the first one finishes — so neither prefill nor
    /// the tail, where sequences that started early have finished and the batch shrinks, changes the rate (a
    /// static-batch peer such as transformers' generate decodes the whole batch in lockstep).
    /// </summary>
    public static async Task<DecodeResult> DecodeAsync(InferenceEngine engine, int batch, int context, int tokens, int vocab, CancellationToken ct)
    {
        var stamps = new long[batch][];
        var counts = new int[batch];
        var errors = new string?[batch];
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, batch).Select(async b =>
        {
            stamps[b] = new long[tokens];
            var request = new GenerationRequest { PromptTokenIds = Prompt(context, vocab, 1000 + b), MaxTokens = tokens, IgnoreEos = true };
            await foreach (var e in engine.GenerateAsync(request, ct))
            {
                if (e.TokenId >= 0)
                {
                    stamps[b][counts[b]++] = clock.ElapsedTicks;
                }

                errors[b] ??= e.Error;
            }
        }).ToArray();
        var steps0 = engine.Stats.Steps;
        await Task.WhenAll(runs);
        var failed = Enumerable.Range(0, batch).FirstOrDefault(b => counts[b] == 0, -1);
        if (failed >= 0)
        {
            throw new InvalidOperationException($"decode batch {batch}: sequence {failed} produced no token ({errors[failed] ?? "no error reported"}).");
        }

        var start = stamps.Max(s => s[0]);
        var end = stamps.Select((s, b) => s[counts[b] - 1]).Min();
        var wholeBatch = end > start;
        if (!wholeBatch)
        {
            // The batch never decoded as a whole (prompts admitted over more steps than a sequence decodes): measure
            // until the last finishes, tail included, and say so in the result.
            end = stamps.Select((s, b) => s[counts[b] - 1]).Max();
        }

        var decoded = stamps.Select((s, b) => s.Take(counts[b]).Count(t => t > start && t <= end)).Sum();
        var seconds = (end - start) / (double)Stopwatch.Frequency;
        var tokensPerSecond = seconds > 0 ? decoded / seconds : 0;
        var stepMs = decoded > 0 ? seconds * 1000 * batch / decoded : 0;
        return new DecodeResult(batch, context, tokensPerSecond, stepMs, engine.Stats.Steps - steps0, wholeBatch);
    }

    /// <summary>Time to first token of one prompt of <paramref name="length"/> tokens (the prefill, plus one sample).</summary>
    public static async Task<double> PrefillMsAsync(InferenceEngine engine, int length, int vocab, CancellationToken ct)
    {
        var request = new GenerationRequest { PromptTokenIds = Prompt(length, vocab, 7 + length), MaxTokens = 1, IgnoreEos = true };
        var clock = Stopwatch.StartNew();
        await foreach (var _ in engine.GenerateAsync(request, ct))
        {
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    /// <param name="WholeBatch">False when no step decoded every sequence, so the rate includes a shrinking tail.</param>
    public sealed record DecodeResult(int Batch, int Context, double TokensPerSecond, double StepMs, long Steps, bool WholeBatch);
}
