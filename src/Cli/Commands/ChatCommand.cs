using System.CommandLine;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Commands;

/// <summary><c>infermesh chat</c>: an interactive conversation with a local model through its chat template.</summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var engine = new EngineArguments();
        var system = new Option<string?>("--system") { Description = "system prompt" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature", "-t") { DefaultValueFactory = _ => 0.7f };
        var command = new Command("chat", "chat with a local model in the terminal (empty line or Ctrl+D quits)") { system, maxTokens, temperature };
        engine.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            await using var e = engine.Load(result);
            var template = e.ChatTemplate ?? throw new InvalidOperationException($"model '{e.ModelName}' has no chat template (chat_template.jinja or tokenizer_config.json); use `infermesh generate` instead.");
            var messages = new List<object?>();
            if (result.GetValue(system) is { Length: > 0 } sys)
            {
                messages.Add(new Dictionary<string, object?> { ["role"] = "system", ["content"] = sys });
            }

            var session = Guid.NewGuid().ToString("n");
            while (!ct.IsCancellationRequested)
            {
                Console.Write("you> ");
                var line = Console.ReadLine();
                if (string.IsNullOrWhiteSpace(line))
                {
                    break;
                }

                messages.Add(new Dictionary<string, object?> { ["role"] = "user", ["content"] = line });
                var prompt = template.Render(new Dictionary<string, object?>
                {
                    ["messages"] = messages,
                    ["add_generation_prompt"] = true,
                    ["bos_token"] = e.Tokenizer.BosToken ?? "",
                    ["eos_token"] = e.Tokenizer.EosToken ?? "",
                });
                var request = new GenerationRequest
                {
                    PromptTokenIds = e.Tokenizer.Encode(prompt, addSpecialTokens: false),
                    MaxTokens = result.GetValue(maxTokens),
                    Sampling = new SamplingParams { Temperature = result.GetValue(temperature) },
                    SessionKey = session,
                };
                Console.Write("model> ");
                var reply = new System.Text.StringBuilder();
                await foreach (var ev in e.GenerateAsync(request, ct))
                {
                    Console.Write(ev.TextDelta);
                    reply.Append(ev.TextDelta);
                }

                Console.WriteLine();
                messages.Add(new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = reply.ToString() });
            }

            return 0;
        });
        return command;
    }
}
