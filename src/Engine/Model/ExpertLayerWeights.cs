using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// The device tensors of one mixture-of-experts feed-forward layer: the router and every expert's packed gate|up and
/// down projections (HF: mixtral block_sparse_moe.gate / experts.{e}.w1, w3, w2; qwen mlp.gate /
/// experts.{e}.gate_proj, up_proj, down_proj), plus qwen2_moe's shared expert and its sigmoid gate.
/// </summary>
public sealed class ExpertLayerWeights : IDisposable
{
    /// <summary>[experts × hidden]: the router's logits are x·routerᵀ.</summary>
    public required DeviceTensor Router { get; init; }

    /// <summary>Per expert [2·expertIntermediate × hidden]: gate then up rows.</summary>
    public required IReadOnlyList<DeviceTensor> GateUp { get; init; }

    /// <summary>Per expert [hidden × expertIntermediate].</summary>
    public required IReadOnlyList<DeviceTensor> Down { get; init; }

    public DeviceTensor? SharedGateUp { get; init; }

    public DeviceTensor? SharedDown { get; init; }

    /// <summary>[1 × hidden]: the shared expert's output is scaled by sigmoid(x·gate).</summary>
    public DeviceTensor? SharedGate { get; init; }

    /// <summary>Loads layer <paramref name="layer"/>'s experts from the checkpoint, named as the model type names them.</summary>
    internal static ExpertLayerWeights Load(ModelConfig config, int layer, ProjectionPacker packer, Func<string, DeviceTensor> load, Func<string, bool> contains)
    {
        var experts = config.Experts!;
        var mixtral = config.ModelType == "mixtral";
        var p = mixtral ? $"model.layers.{layer}.block_sparse_moe." : $"model.layers.{layer}.mlp.";
        if (!contains(p + "experts.0." + (mixtral ? "w1.weight" : "gate_proj.weight")) && contains(p + "experts.gate_up_proj"))
        {
            throw new ModelLoadException($"{config.Path}: layer {layer} stores its experts fused ({p}experts.gate_up_proj, transformers 5's in-memory layout); InferMesh reads the per-expert tensors the Hub checkpoints ship ({p}experts.N.{(mixtral ? "w1" : "gate_proj")}.weight). Save the model with save_pretrained of a transformers version that writes per-expert weights.");
        }

        var gateUp = new DeviceTensor[experts.Count];
        var down = new DeviceTensor[experts.Count];
        for (var e = 0; e < experts.Count; e++)
        {
            var x = $"{p}experts.{e}.";
            gateUp[e] = mixtral ? packer.Weights([x + "w1.weight", x + "w3.weight"]) : packer.Weights([x + "gate_proj.weight", x + "up_proj.weight"]);
            down[e] = load(x + (mixtral ? "w2.weight" : "down_proj.weight"));
        }

        var shared = experts.SharedIntermediateSize > 0;
        return new ExpertLayerWeights
        {
            Router = load(p + "gate.weight"),
            GateUp = gateUp,
            Down = down,
            SharedGateUp = shared ? packer.Weights([p + "shared_expert.gate_proj.weight", p + "shared_expert.up_proj.weight"]) : null,
            SharedDown = shared ? load(p + "shared_expert.down_proj.weight") : null,
            SharedGate = shared ? load(p + "shared_expert_gate.weight") : null,
        };
    }

    public void Dispose()
    {
        Router.Dispose();
        foreach (var t in GateUp.Concat(Down))
        {
            t.Dispose();
        }

        SharedGateUp?.Dispose();
        SharedDown?.Dispose();
        SharedGate?.Dispose();
    }
}
