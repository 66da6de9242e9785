using System.Diagnostics;

namespace InferMesh.Cli.Cluster;

/// <summary>
/// Runs N concurrent multi-turn sessions against a target: each session sends its turns one after another (a
/// conversation), sessions run at once. User messages are deterministic pseudo-text from a seed, so runs compare.
/// </summary>
internal static class BenchRunner
{
    private static readonly string[] Words =
        ["the", "river", "light", "stone", "quiet", "morning", "city", "garden", "north", "window", "silver", "road", "winter", "story", "harbor", "voice",
         "paper", "forest", "bright", "field", "market", "evening", "mountain", "letter", "bridge", "summer", "shadow", "island", "music", "table"];

    public static async Task<BenchResult> RunAsync(IChatTarget target, int sessions, int turns, int maxTokens, int promptWords, int seed, Action onTurn, CancellationToken ct)
    {
        var result = new BenchResult(target.Description, sessions, turns, maxTokens);
        var runId = Guid.NewGuid().ToString("N")[..8];
        // Untimed first: JIT, thread pools and connections warm up, so both targets are measured hot.
        for (var w = 0; w < 3; w++)
        {
            await foreach (var _ in target.TurnAsync($"bench-{runId}-warmup", [("user", "warm up")], maxTokens, ct))
            {
            }
        }

        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, sessions).Select(s => Task.Run(() => SessionAsync(s), ct)));
        result.WallSeconds = wall.Elapsed.TotalSeconds;
        return result;

        async Task SessionAsync(int s)
        {
            var session = $"bench-{runId}-{s}";
            var random = new Random(seed + s);
            for (var t = 0; t < turns; t++)
            {
                var message = string.Join(' ', Enumerable.Range(0, promptWords).Select(_ => Words[random.Next(Words.Length)]));
                List<(string, string)> newMessages = t == 0 ? [("system", "You are a helpful assistant."), ("user", message)] : [("user", message)];
                var started = Stopwatch.GetTimestamp();
                long last = 0;
                try
                {
                    await foreach (var piece in target.TurnAsync(session, newMessages, maxTokens, ct))
                    {
                        var now = Stopwatch.GetTimestamp();
                        if (piece.Text.Length > 0)
                        {
                            if (last == 0)
                            {
                                result.TimeToFirstToken.Add(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
                            }
                            else
                            {
                                result.InterTokenLatency.Add(Stopwatch.GetElapsedTime(last, now).TotalSeconds);
                            }

                            last = now;
                        }

                        if (piece.CompletionTokens is { } completion)
                        {
                            Interlocked.Add(ref result.CompletionTokens, completion);
                            Interlocked.Add(ref result.PromptTokens, piece.PromptTokens ?? 0);
                            Interlocked.Add(ref result.CachedPromptTokens, piece.CachedPromptTokens ?? 0);
                        }
                    }

                    result.EndToEnd.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
                {
                    Interlocked.Increment(ref result.Failures);
                    Console.Error.WriteLine($"[infermesh] session {session} turn {t + 1}: {ex.Message}");
                }

                onTurn();
            }
        }
    }
}
