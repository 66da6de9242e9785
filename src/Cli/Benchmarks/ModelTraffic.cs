using InferMesh.Engine.Loading;
using InferMesh.Engine.Serving;
using InferMesh.Kernels;

namespace InferMesh.Cli.Benchmarks;

/// <summary>
/// The floor of a model's work: bytes a decode step must read (every weight once, except the embedding table that
/// only gathers rows when untied, plus every sequence's KV) and the FLOPs of the linear layers in a prefill.
/// </summary>
internal sealed record ModelTraffic(double WeightBytes, double LinearParameters, double KvBytesPerToken, double LmHeadParameters)
{
    /// <param name="activationType">The backend's activation type: fp32 activations mean fp32 weights (the CPU, and CUDA in F32 mode widen every weight), 16-bit ones keep 16-bit weights.</param>
    public static ModelTraffic Of(ModelFolder folder, DType activationType, DType cacheType)
    {
        var weightBytes = activationType == DType.F32 ? 4 : 2;
        var c = folder.Config;
        double weights = 0, linear = 0;
        foreach (var name in folder.Weights.Names)
        {
            var t = folder.Weights.Get(name);
            var elements = t.Shape.Aggregate(1.0, (a, d) => a * d);
            var gatheredOnly = name == TextWeightPrefix.Resolve(c, folder.Weights) + "embed_tokens.weight" && !c.TieWordEmbeddings;
            if (!gatheredOnly)
            {
                weights += elements * weightBytes;
            }

            if (name.EndsWith("_proj.weight", StringComparison.Ordinal))
            {
                linear += elements;
            }
        }

        var lmHead = (double)c.VocabSize * c.HiddenSize;
        var kvPerToken = 2.0 * c.NumHiddenLayers * c.NumKeyValueHeads * c.HeadDim * (cacheType is DType.BF16 or DType.F16 ? 2 : 4);
        return new ModelTraffic(weights, linear, kvPerToken, lmHead);
    }

    public double DecodeStepBytes(int batch, int context) => WeightBytes + (batch * context * KvBytesPerToken);

    /// <summary>2·params·tokens for the decoder's linear layers, plus the LM head on the last row.</summary>
    public double LinearFlops(int tokens) => (2 * LinearParameters * tokens) + (2 * LmHeadParameters);
}
