using System.CommandLine;
using InferMesh.Engine.Verification;
using Spectre.Console;

namespace InferMesh.Cli.Commands;

/// <summary><c>infermesh check</c>: compares the model folder's reference.json with InferMesh, prompt by prompt.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var engine = new EngineArguments();
        var chunk = new Option<int>("--chunk") { Description = "prefill chunk size for the teacher-forced pass", DefaultValueFactory = _ => 64 };
        var tolerance = new Option<float?>("--tolerance") { Description = "max |Δlogit| allowed (default: 1e-3 for fp32 weights, 2e-2 for bf16/fp16 weights, 0.6 with bf16/fp16 activations)" };
        var command = new Command("check", "run every prompt of DIR/reference.json and report ids, argmax, logits and greedy agreement") { chunk, tolerance };
        engine.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var dir = engine.ModelDirectory(result);
            var reports = await ReferenceCheck.RunAsync(dir, engine.Options(result), result.GetValue(chunk), result.GetValue(tolerance), cancellationToken: ct);
            var table = new Table().Title($"infermesh check {Markup.Escape(dir)}");
            foreach (var h in new[] { "#", "prompt", "tokens", "ids", "argmax", "max |Δlogit|", "greedy", "result" })
            {
                table.AddColumn(h);
            }

            foreach (var r in reports)
            {
                table.AddRow(
                    r.Index.ToString(),
                    Markup.Escape(r.Preview.ReplaceLineEndings("⏎")),
                    r.Tokens.ToString(),
                    r.IdsMatch ? "match" : "[red]differ[/]",
                    $"{r.ArgmaxAgreement:P1}",
                    $"{r.MaxLogitDelta:E2} (≤ {r.Tolerance:E0})",
                    r.GreedyMatch ? "match" : r.TokensMustMatch ? "[red]differ[/]" : "differ (16-bit activations: not required)",
                    r.Passed ? "[green]pass[/]" : "[red]FAIL[/]");
            }

            AnsiConsole.Write(table);
            var failed = reports.Count(r => !r.Passed);
            Console.WriteLine(failed == 0 ? $"all {reports.Count} prompts match the reference" : $"{failed} of {reports.Count} prompts differ from the reference");
            return failed == 0 ? 0 : 2;
        });
        return command;
    }
}
