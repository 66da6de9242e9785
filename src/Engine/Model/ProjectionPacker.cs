using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Packs linear layers that read the same input into one weight by stacking their output rows, [Wa; Wb; …] ×
/// in_features, so one GEMM computes them all: x·[Wa; Wb]ᵀ = [x·Waᵀ | x·Wbᵀ] row by row. Every output element is still
/// the dot product of one input row with one weight row, so the numbers are those of the separate layers; what changes
/// is the launch count (q/k/v: 3 GEMMs become 1, gate/up: 2 become 1), which is what bounds decode at batch 1.
/// Biases are packed alike; when one part has a bias and another has none, the other's becomes zeros.
/// </summary>
internal sealed class ProjectionPacker(IComputeBackend backend, WeightStore store)
{
    private byte[] _buffer = [];

    /// <summary>The weights <paramref name="names"/> ([out_i × in] each, one dtype) as one [Σ out_i × in] weight.</summary>
    public DeviceTensor Weights(params string[] names)
    {
        var parts = names.Select(store.Get).ToArray();
        var first = parts[0];
        long rows = 0;
        long bytes = 0;
        foreach (var t in parts)
        {
            if (t.Shape.Length != 2 || t.Shape[1] != first.Shape[1] || t.DType != first.DType)
            {
                throw new ModelLoadException($"{t.File}: tensor '{t.Name}' is {t.DType}{t.ShapeText} but is packed with '{first.Name}' ({first.DType}{first.ShapeText}): both must be [out × {first.Shape[1]}] of one dtype.");
            }

            rows += t.Shape[0];
            bytes += t.Length;
        }

        var packed = Reserve(bytes);
        long offset = 0;
        foreach (var t in parts)
        {
            t.Data.CopyTo(packed[(int)offset..]);
            offset += t.Length;
        }

        return backend.LoadWeight(packed, first.DType, checked((int)rows), checked((int)first.Shape[1]));
    }

    /// <summary>
    /// The biases of the weights <paramref name="weightNames"/> (each "….weight" has "….bias") as one [1 × Σ out_i]
    /// bias, zeros for parts without one; null when no part has a bias.
    /// </summary>
    public DeviceTensor? Biases(params string[] weightNames)
    {
        var biasNames = weightNames.Select(n => n[..^".weight".Length] + ".bias").ToArray();
        var present = biasNames.Where(store.Contains).Select(store.Get).ToArray();
        if (present.Length == 0)
        {
            return null;
        }

        var type = present[0].DType;
        var size = type == DType.F32 ? 4 : 2;
        var outs = weightNames.Select(n => store.Get(n).Shape[0]).ToArray();
        var packed = Reserve(outs.Sum() * size);
        long offset = 0;
        for (var i = 0; i < biasNames.Length; i++)
        {
            var span = packed.Slice((int)offset, (int)(outs[i] * size));
            if (store.TryGet(biasNames[i], out var bias))
            {
                if (bias.DType != type || bias.Shape.Length != 1 || bias.Shape[0] != outs[i])
                {
                    throw new ModelLoadException($"{bias.File}: tensor '{bias.Name}' is {bias.DType}{bias.ShapeText} but must be {type}[{outs[i]}] to pack with '{present[0].Name}' (the biases of one fused projection share a dtype).");
                }

                bias.Data.CopyTo(span);
            }
            else
            {
                span.Clear();
            }

            offset += span.Length;
        }

        return backend.LoadWeight(packed, type, 1, checked((int)outs.Sum()));
    }

    private Span<byte> Reserve(long bytes)
    {
        if (bytes > Array.MaxLength)
        {
            throw new NotSupportedException($"a packed projection of {bytes} bytes exceeds the largest host buffer ({Array.MaxLength} bytes).");
        }

        if (_buffer.Length < bytes)
        {
            _buffer = new byte[bytes];
        }

        return _buffer.AsSpan(0, (int)bytes);
    }
}
