using System.CommandLine;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;

namespace InferMesh.Cli;

/// <summary>The options every engine-running command shares (model, device, memory, batching).</summary>
internal sealed class EngineArguments
{
    public Option<string?> Model { get; } = new("--model", "-m") { Description = "Hugging Face model folder (default: the embedded infermesh-tiny model)" };

    public Option<string> Device { get; } = new("--device") { Description = "cpu or cuda:N", DefaultValueFactory = _ => "cpu" };

    public Option<int?> MaxContext { get; } = new("--max-context") { Description = "longest prompt + completion in tokens (default: the model's)" };

    public Option<int?> KvBlocks { get; } = new("--kv-blocks") { Description = "exact number of 16-token KV blocks (default: sized from memory)" };

    public Option<double> MemoryUtilization { get; } = new("--gpu-memory-utilization") { Description = "share of free device memory the KV cache may take", DefaultValueFactory = _ => 0.9 };

    public Option<int?> Threads { get; } = new("--threads") { Description = "CPU threads (default: all cores)" };

    public Option<string> ActivationDType { get; } = CreateActivationDType();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(MaxContext);
        command.Options.Add(KvBlocks);
        command.Options.Add(MemoryUtilization);
        command.Options.Add(Threads);
        command.Options.Add(ActivationDType);
    }

    public string ModelDirectory(ParseResult result) => DefaultModel.Resolve(result.GetValue(Model));

    public EngineOptions Options(ParseResult result, int maxSequences = 64) => new()
    {
        Device = result.GetValue(Device) ?? "cpu",
        MaxContextLength = result.GetValue(MaxContext),
        KvCacheBlocks = result.GetValue(KvBlocks),
        MemoryUtilization = result.GetValue(MemoryUtilization),
        Threads = result.GetValue(Threads),
        ActivationType = ActivationTypeOf(result.GetValue(ActivationDType)),
        MaxSequences = maxSequences,
    };

    private static Option<string> CreateActivationDType()
    {
        var option = new Option<string>("--activation-dtype")
        {
            Description = "activations and KV cache: auto (the checkpoint's dtype on CUDA: fp32 checkpoints run in f32 like transformers, bf16 in bf16; f32 on the CPU), f32, bf16 or f16 (CUDA only)",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "f32", "bf16", "f16");
        return option;
    }

    private static DType? ActivationTypeOf(string? name) => name switch
    {
        "f32" => DType.F32,
        "bf16" => DType.BF16,
        "f16" => DType.F16,
        _ => null,
    };

    public InferenceEngine Load(ParseResult result, int maxSequences = 64)
    {
        var dir = ModelDirectory(result);
        var progress = new ConsoleProgress();
        return InferenceEngine.Load(dir, Options(result, maxSequences), progress);
    }
}
