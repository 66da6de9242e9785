using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using InferMesh.Engine.Model;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh logits</c>: one teacher-forced pass over token ids read from a JSON file, writing the logits of every
/// position as little-endian float32 [positions × vocab] — what bench/peers/hf_teacher_forced.py compares with
/// transformers position by position.
/// </summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var engine = new EngineArguments();
        var ids = new Option<string>("--ids") { Description = "JSON file holding the prompt's token ids as an array of ints", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "file to write the logits to: little-endian float32, [positions × vocab]", Required = true };
        var chunk = new Option<int>("--chunk") { Description = "prefill chunk size: rows per forward step (the host and the device hold chunk × vocab logits)", DefaultValueFactory = _ => 512 };
        var command = new Command("logits", "teacher-forced logits of every position of a prompt, written as raw float32") { ids, output, chunk };
        engine.AddTo(command);
        command.SetAction(result =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            var idsPath = result.GetValue(ids)!;
            if (ReadIds(idsPath, out var problem) is not { } prompt)
            {
                stderr.WriteLine(problem);
                return 2;
            }

            if (result.GetValue(chunk) is < 1 or > 8192)
            {
                stderr.WriteLine($"infermesh logits: --chunk must be in 1..8192 (got {result.GetValue(chunk)}); 512 (the default) keeps the logits buffer at 512 × vocab floats.");
                return 2;
            }

            var options = engine.Options(result);
            var load = Stopwatch.StartNew();
            using var folder = ModelFolder.Open(engine.ModelDirectory(result));
            var vocab = folder.Config.VocabSize;
            if (Array.FindIndex(prompt, id => id < 0 || id >= vocab) is var at and >= 0)
            {
                var bad = prompt[at];
                stderr.WriteLine($"infermesh logits: {idsPath} holds token id {bad} (position {at}), outside the model's vocabulary [0, {vocab}); make the ids with this model's tokenizer or vocab size.");
                return 2;
            }

            using var backend = folder.OpenBackend(options);
            // The whole prompt is one forward pass, as in transformers: longrope picks its table by this length.
            using var weights = LlamaWeights.Load(backend, folder.Config, folder.Weights, rotaryContextLength: prompt.Length);
            var rows = Math.Min(result.GetValue(chunk), prompt.Length);
            using var forced = new TeacherForcing(backend, weights, rows, options.BlockSize, prompt.Length);
            load.Stop();

            var path = Path.GetFullPath(result.GetValue(output)!);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var run = Stopwatch.StartNew();
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                forced.WriteAllLogits(prompt, file);
            }

            run.Stop();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"positions {prompt.Length}, vocab {vocab}, chunk {rows}, {backend.ActivationType} activations on {options.Device}: teacher-forced pass {run.Elapsed.TotalSeconds:F2} s (load {load.Elapsed.TotalSeconds:F2} s) -> {path}"));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The ids in <paramref name="path"/>, or null with <paramref name="problem"/> saying what was wrong (missing, not
    /// a JSON array of ints, empty) and how to make a good one.
    /// </summary>
    private static int[]? ReadIds(string path, out string problem)
    {
        const string Fix = "write the prompt's token ids as a JSON array of ints, e.g. [128000, 791, 4062], or make one with `python3 bench/peers/hf_teacher_forced.py make-ids MODEL_DIR --out ids.json`.";
        problem = "";
        if (!File.Exists(path))
        {
            problem = $"infermesh logits: the ids file {path} does not exist; {Fix}";
            return null;
        }

        try
        {
            if (JsonSerializer.Deserialize<int[]>(File.ReadAllText(path)) is { Length: > 0 } ids)
            {
                return ids;
            }

            problem = $"infermesh logits: {path} holds no token ids; {Fix}";
        }
        catch (JsonException e)
        {
            problem = $"infermesh logits: {path} is not a JSON array of ints ({e.Message}); {Fix}";
        }

        return null;
    }
}
