using System.Runtime.InteropServices;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.Tests.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>Packing q|k|v-style projections: rows stacked in order, missing biases as zeros, mismatched parts refused.</summary>
public sealed class ProjectionPackerTests
{
    private static readonly float[] Q = [1, 2, 3, 4, 5, 6];
    private static readonly float[] K = [7, 8, 9];
    private static readonly float[] QBias = [0.5f, -0.5f];

    [Fact]
    public void Weights_are_stacked_along_output_rows_in_the_given_order()
    {
        using var store = Store(("q.weight", Q, [2, 3]), ("k.weight", K, [1, 3]));
        using var backend = ComputeDevices.Open("cpu", 1);

        using var packed = new ProjectionPacker(backend, store).Weights("q.weight", "k.weight");

        Assert.Equal((3, 3), (packed.Rows, packed.Cols));
        Assert.Equal([.. Q, .. K], Download(backend, packed));
    }

    [Fact]
    public void A_part_without_a_bias_gets_zeros_when_another_part_has_one()
    {
        using var store = Store(("q.weight", Q, [2, 3]), ("k.weight", K, [1, 3]), ("q.bias", QBias, [2]));
        using var backend = ComputeDevices.Open("cpu", 1);

        using var bias = new ProjectionPacker(backend, store).Biases("q.weight", "k.weight");

        Assert.NotNull(bias);
        Assert.Equal([.. QBias, 0f], Download(backend, bias));
    }

    [Fact]
    public void No_bias_on_any_part_gives_no_bias()
    {
        using var store = Store(("q.weight", Q, [2, 3]), ("k.weight", K, [1, 3]));
        using var backend = ComputeDevices.Open("cpu", 1);

        Assert.Null(new ProjectionPacker(backend, store).Biases("q.weight", "k.weight"));
    }

    [Fact]
    public void Parts_of_different_widths_are_refused_naming_the_tensor()
    {
        using var store = Store(("q.weight", Q, [2, 3]), ("k.weight", [7, 8], [1, 2]));
        using var backend = ComputeDevices.Open("cpu", 1);

        var error = Assert.Throws<ModelLoadException>(() => new ProjectionPacker(backend, store).Weights("q.weight", "k.weight"));

        Assert.Contains("'k.weight'", error.Message);
    }

    private static WeightStore Store(params (string Name, float[] Values, long[] Shape)[] tensors)
    {
        var dir = SafetensorsBytes.TempDir();
        SafetensorsWriter.Write(
            Path.Combine(dir, "model.safetensors"),
            [.. tensors.Select(t => new SafetensorsWriter.Entry(t.Name, DType.F32, t.Shape))],
            (index, offset, target) => MemoryMarshal.AsBytes(tensors[index].Values.AsSpan()).Slice((int)offset, target.Length).CopyTo(target.Span));
        return WeightStore.Open(dir);
    }

    private static float[] Download(IComputeBackend backend, DeviceTensor tensor)
    {
        var values = new float[tensor.ElementCount];
        backend.Download(tensor, values);
        return values;
    }
}
