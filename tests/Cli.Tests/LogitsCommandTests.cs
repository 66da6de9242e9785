using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using InferMesh.Cli.Commands;
using InferMesh.Engine.Serving;
using InferMesh.Engine.Verification;

namespace InferMesh.Cli.Tests;

/// <summary>
/// <c>infermesh logits</c> on the CPU with a golden model: the file it writes holds every position's logits, which
/// agree with the folder's reference.json (transformers, float32) as <c>infermesh check</c> requires.
/// </summary>
public sealed class LogitsCommandTests
{
    private const string Model = "tiny-llama";

    // The 24-token prompt: it spans two 16-token KV blocks, and chunks of 7 split it unevenly.
    private const int PromptIndex = 1;

    private static GoldenPrompt Prompt => GoldenReference.Load(Path.Combine(RepoPaths.Golden(Model), "reference.json")).Prompts[PromptIndex];

    [Fact]
    public async Task The_file_holds_one_row_of_vocab_floats_per_position()
    {
        var run = await RunAsync(JsonSerializer.Serialize(Prompt.Ids));

        Assert.Equal(0, run.Exit);
        Assert.Equal(Prompt.Ids.Count * VocabSize(), run.Logits.Length);
        Assert.Contains($"positions {Prompt.Ids.Count}, vocab {VocabSize()}", run.Output);
    }

    [Fact]
    public async Task The_last_row_matches_the_reference_last_logits_within_the_check_tolerance()
    {
        var prompt = Prompt;
        var vocab = VocabSize();
        float tolerance;
        using (var folder = ModelFolder.Open(RepoPaths.Golden(Model)))
        {
            tolerance = ReferenceCheck.ToleranceFor(folder.Config.TorchDtype);
        }

        var run = await RunAsync(JsonSerializer.Serialize(prompt.Ids));

        var last = run.Logits.AsSpan((prompt.Ids.Count - 1) * vocab, vocab).ToArray();
        var maxDelta = last.Zip(prompt.LastLogits, (a, b) => MathF.Abs(a - b)).Max();
        Assert.True(maxDelta <= tolerance, $"max |Δlogit| {maxDelta} > {tolerance}");
    }

    [Fact]
    public async Task Every_row_argmax_matches_the_reference_argmax()
    {
        var prompt = Prompt;
        var vocab = VocabSize();

        var run = await RunAsync(JsonSerializer.Serialize(prompt.Ids));

        var argmax = Enumerable.Range(0, prompt.Ids.Count).Select(t => ArgMax(run.Logits.AsSpan(t * vocab, vocab))).ToArray();
        Assert.Equal(prompt.Argmax, argmax);
    }

    [Fact]
    public async Task Chunked_prefill_writes_the_same_logits_as_one_step()
    {
        var ids = JsonSerializer.Serialize(Prompt.Ids);

        var whole = await RunAsync(ids);
        var chunked = await RunAsync(ids, "--chunk", "7");

        Assert.Equal(whole.Logits.Length, chunked.Logits.Length);
        var maxDelta = whole.Logits.Zip(chunked.Logits, (a, b) => MathF.Abs(a - b)).Max();
        Assert.True(maxDelta <= 1e-5f, $"chunks of 7 differ from one step by up to {maxDelta}");
    }

    [Fact]
    public async Task A_missing_ids_file_is_named_with_how_to_make_one()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-ids-{Guid.NewGuid():N}.json");

        var run = await RunAsync(null, "--ids", missing);

        Assert.Equal(2, run.Exit);
        Assert.Contains($"the ids file {missing} does not exist", run.Error);
        Assert.Contains("JSON array of ints", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task An_ids_file_that_is_not_an_array_of_ints_is_reported_with_how_to_fix_it()
    {
        var run = await RunAsync("{\"ids\": [1, 2, 3]}");

        Assert.Equal(2, run.Exit);
        Assert.Contains("is not a JSON array of ints", run.Error);
        Assert.Contains("make-ids", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    private sealed record Run(int Exit, float[] Logits, string Output, string Error);

    private static int VocabSize()
    {
        using var folder = ModelFolder.Open(RepoPaths.Golden(Model));
        return folder.Config.VocabSize;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var v = 1; v < row.Length; v++)
        {
            if (row[v] > row[best])
            {
                best = v;
            }
        }

        return best;
    }

    /// <summary>Runs the command with <paramref name="idsJson"/> in a temporary ids file (or none when null).</summary>
    private static async Task<Run> RunAsync(string? idsJson, params string[] extra)
    {
        var dir = Directory.CreateTempSubdirectory("infermesh-logits-");
        try
        {
            var idsPath = Path.Combine(dir.FullName, "ids.json");
            if (idsJson is not null)
            {
                await File.WriteAllTextAsync(idsPath, idsJson, TestContext.Current.CancellationToken);
            }

            var outPath = Path.Combine(dir.FullName, "ours.f32");
            var args = new List<string> { "logits", "--model", RepoPaths.Golden(Model), "--out", outPath };
            if (!extra.Contains("--ids"))
            {
                args.AddRange(["--ids", idsPath]);
            }

            args.AddRange(extra);
            var output = new StringWriter();
            var error = new StringWriter();
            var root = new RootCommand { LogitsCommand.Create() };
            var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, TestContext.Current.CancellationToken);
            var logits = File.Exists(outPath) ? MemoryMarshal.Cast<byte, float>(await File.ReadAllBytesAsync(outPath, TestContext.Current.CancellationToken)).ToArray() : [];
            return new Run(exit, logits, output.ToString(), error.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
