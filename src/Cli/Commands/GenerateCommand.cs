using System.CommandLine;
using System.Diagnostics;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Commands;

/// <summary><c>infermesh generate</c>: streams a continuation of a prompt, then prints time to first token and tokens/s.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var engine = new EngineArguments();
        var prompt = new Option<string>("--prompt", "-p") { Description = "prompt text", DefaultValueFactory = _ => "The" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature", "-t") { Description = "0 = greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 0 };
        var seed = new Option<long?>("--seed");
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "keep generating past end-of-sequence tokens" };
        var command = new Command("generate", "generate a continuation of a prompt") { prompt, maxTokens, temperature, topP, topK, seed, ignoreEos };
        engine.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            await using var e = engine.Load(result);
            var ids = e.Tokenizer.Encode(result.GetValue(prompt) ?? "", addSpecialTokens: true);
            var request = new GenerationRequest
            {
                PromptTokenIds = ids,
                MaxTokens = result.GetValue(maxTokens),
                IgnoreEos = result.GetValue(ignoreEos),
                Sampling = new SamplingParams
                {
                    Temperature = result.GetValue(temperature),
                    TopP = result.GetValue(topP),
                    TopK = result.GetValue(topK),
                    Seed = result.GetValue(seed),
                },
            };
            Console.Write(result.GetValue(prompt));
            var clock = Stopwatch.StartNew();
            double? firstToken = null;
            var count = 0;
            await foreach (var ev in e.GenerateAsync(request, ct))
            {
                if (ev.TokenId >= 0)
                {
                    firstToken ??= clock.Elapsed.TotalMilliseconds;
                    count++;
                }

                Console.Write(ev.TextDelta);
                if (ev.Error is not null)
                {
                    Console.Error.WriteLine($"\ninfermesh: {ev.Error}");
                    return 1;
                }
            }

            var total = clock.Elapsed.TotalMilliseconds;
            var decodeMs = total - (firstToken ?? total);
            var rate = count > 1 ? (count - 1) / (decodeMs / 1000.0) : 0;
            Console.WriteLine();
            Console.Error.WriteLine($"[infermesh] {ids.Count} prompt tokens, {count} generated on {e.DeviceName}: time to first token {firstToken ?? 0:F1} ms, {rate:F1} tokens/s");
            return 0;
        });
        return command;
    }
}
