using System.CommandLine;
using InferMesh.Engine.Synthetic;
using InferMesh.Kernels;

namespace InferMesh.Cli.Commands;

/// <summary><c>infermesh make-model</c>: writes a random-weight Hugging Face folder of a real model's shape.</summary>
internal static class MakeModelCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = $"one of: {string.Join(", ", ModelShape.Presets.Keys)}", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "bf16, fp16 or fp32", DefaultValueFactory = _ => "bf16" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "output folder", Required = true };
        var shardMiB = new Option<int>("--shard-mib") { Description = "largest safetensors shard in MiB", DefaultValueFactory = _ => 2048 };
        var command = new Command("make-model", "write a Hugging Face model folder with random weights of a real architecture") { shape, dtype, seed, output, shardMiB };
        command.SetAction(result =>
        {
            var name = result.GetValue(shape)!;
            if (!ModelShape.Presets.TryGetValue(name, out var s))
            {
                throw new ArgumentException($"unknown shape '{name}'; choose one of: {string.Join(", ", ModelShape.Presets.Keys)}.");
            }

            var type = result.GetValue(dtype)?.ToLowerInvariant() switch
            {
                "bf16" or "bfloat16" => DType.BF16,
                "fp16" or "f16" or "float16" => DType.F16,
                "fp32" or "f32" or "float32" => DType.F32,
                var other => throw new ArgumentException($"unknown dtype '{other}'; use bf16, fp16 or fp32."),
            };
            var progress = new ConsoleProgress();
            RandomModelWriter.Write(s, result.GetValue(output)!, type, result.GetValue(seed), (long)result.GetValue(shardMiB) << 20, progress);
            return 0;
        });
        return command;
    }
}
