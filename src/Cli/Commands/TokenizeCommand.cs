using System.CommandLine;
using System.Text.Json;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh tokenize</c>: reads one JSON string per line from stdin and prints each one's token ids as a JSON
/// array — the tool to reach for when a prompt misbehaves.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "model folder holding tokenizer.json (default: the embedded model)" };
        var tokenizerFile = new Option<string?>("--tokenizer") { Description = "a tokenizer.json file" };
        var addSpecial = new Option<bool>("--add-special-tokens") { Description = "apply the tokenizer's post-processor (e.g. BOS)" };
        var command = new Command("tokenize", "token ids of JSON-string lines read from stdin") { model, tokenizerFile, addSpecial };
        command.SetAction(result =>
        {
            var path = result.GetValue(tokenizerFile) ?? Path.Combine(DefaultModel.Resolve(result.GetValue(model)), "tokenizer.json");
            var tokenizer = TextTokenizer.Load(path);
            var special = result.GetValue(addSpecial);
            var lineNumber = 0;
            while (Console.ReadLine() is { } line)
            {
                lineNumber++;
                if (line.Length == 0)
                {
                    continue;
                }

                string? text;
                try
                {
                    text = JsonSerializer.Deserialize<string>(line);
                }
                catch (JsonException e)
                {
                    Console.Error.WriteLine($"infermesh tokenize: line {lineNumber} is not a JSON string ({e.Message}); write each input as a quoted JSON string, e.g. \"Hello\\nworld\".");
                    return 2;
                }

                Console.WriteLine(JsonSerializer.Serialize(tokenizer.Encode(text ?? "", special)));
            }

            return 0;
        });
        return command;
    }
}
