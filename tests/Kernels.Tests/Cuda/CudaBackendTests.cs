using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>Storage, conversion, errors and graph capture of the CUDA backend.</summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class CudaBackendTests(CudaDeviceFixture device)
{
    [Fact]
    public void Upload_rounds_to_nearest_even_bf16_and_download_returns_fp32()
    {
        var backend = device.Require();
        float[] values = [1f, 1.00390625f, 1.01171875f, -3.14159f, 65504f, 1e-20f, float.PositiveInfinity];
        using var tensor = Upload(backend, values, 1, values.Length);
        Assert.Equal(DType.BF16, tensor.DType);
        Assert.Equal(values.Select(RoundToBf16).ToArray(), Download(backend, tensor));
    }

    [Fact]
    public void LoadWeight_keeps_bf16_and_fp16_bits_and_converts_fp32_to_bf16()
    {
        var backend = device.Require();
        var random = new Random(1);
        var values = Bf16Random(random, 33);
        using var bf16 = backend.LoadWeight(KernelChecks.Bf16Bytes(values), DType.BF16, 3, 11);
        Assert.Equal(DType.BF16, bf16.DType);
        Assert.Equal(values, Download(backend, bf16));

        var halves = values.Select(v => (Half)v).ToArray();
        var halfBytes = halves.SelectMany(h => BitConverter.GetBytes(h)).ToArray();
        using var f16 = backend.LoadWeight(halfBytes, DType.F16, 3, 11);
        Assert.Equal(DType.F16, f16.DType);
        Assert.Equal(halves.Select(h => (float)h).ToArray(), Download(backend, f16));

        var raw = values.Select(v => v + 1e-4f).ToArray();
        using var f32 = backend.LoadWeight(KernelChecks.AsBytes(raw), DType.F32, 3, 11);
        Assert.Equal(DType.BF16, f32.DType);
        Assert.Equal(raw.Select(RoundToBf16).ToArray(), Download(backend, f32));
    }

    [Fact]
    public void Copy_converts_between_storage_types()
    {
        var backend = device.Require();
        var values = Bf16Random(new Random(2), 4097);
        using var source = Upload(backend, values, 1, 4097);
        using var wide = backend.Allocate(1, 4097, DType.F32);
        backend.Copy(source, wide);
        Assert.Equal(values, Download(backend, wide));
    }

    [Fact]
    public void Views_address_rows_of_their_parent()
    {
        var backend = device.Require();
        var values = Bf16Random(new Random(3), 17 * 33);
        using var parent = Upload(backend, values, 17, 33);
        using var view = parent.View(5, 3);
        Assert.Equal(values.AsSpan(5 * 33, 3 * 33).ToArray(), Download(backend, view));
    }

    [Fact]
    public void MatMul_with_mismatched_features_names_the_weight()
    {
        var backend = device.Require();
        using var x = backend.Allocate(2, 7);
        using var w = backend.Allocate(5, 8);
        using var y = backend.Allocate(2, 5);
        var error = Assert.Throws<ArgumentException>(() => backend.MatMul(x, w, null, y));
        Assert.Equal("weight", error.ParamName);
    }

    [Fact]
    public void Free_memory_is_positive_and_below_total()
    {
        var backend = device.Require();
        Assert.InRange(backend.FreeMemoryBytes, 1, backend.TotalMemoryBytes);
        Assert.StartsWith("cuda:0", backend.DeviceName);
    }

    [Fact]
    public void Captured_graph_replays_the_sequence_on_new_inputs()
    {
        var backend = device.Require();
        var random = new Random(4);
        const int rows = 4, hidden = 256, inter = 512;
        var w1 = Bf16Random(random, inter * hidden, 0.2f);
        var w2 = Bf16Random(random, inter * hidden, 0.2f);
        var norm = Bf16Random(random, hidden, 1f);
        using var tw1 = backend.LoadWeight(KernelChecks.Bf16Bytes(w1), DType.BF16, inter, hidden);
        using var tw2 = backend.LoadWeight(KernelChecks.Bf16Bytes(w2), DType.BF16, inter, hidden);
        using var tn = backend.LoadWeight(KernelChecks.Bf16Bytes(norm), DType.BF16, 1, hidden);
        using var x = backend.Allocate(rows, hidden);
        using var normed = backend.Allocate(rows, hidden);
        using var gate = backend.Allocate(rows, inter);
        using var up = backend.Allocate(rows, inter);
        using var result = backend.Allocate(rows, inter);
        void Step()
        {
            backend.RmsNorm(x, tn, 1e-5f, normed);
            backend.MatMul(normed, tw1, null, gate);
            backend.MatMul(normed, tw2, null, up);
            backend.SiluMul(gate, up, result);
        }

        var first = Bf16Random(random, rows * hidden, 2f);
        backend.Upload(first, x);
        Step();
        var direct = Download(backend, result);

        backend.BeginCapture();
        Step();
        using var graph = backend.EndCapture();

        var second = Bf16Random(random, rows * hidden, 2f);
        backend.Upload(second, x);
        graph.Replay();
        var replayedSecond = Download(backend, result);
        backend.Upload(first, x);
        graph.Replay();
        Assert.Equal(direct, Download(backend, result));
        backend.Upload(second, x);
        Step();
        Assert.Equal(Download(backend, result), replayedSecond);
    }

    [Fact]
    public void Uploads_are_refused_during_capture()
    {
        var backend = device.Require();
        using var x = backend.Allocate(1, 4);
        backend.BeginCapture();
        var error = Assert.Throws<InvalidOperationException>(() => backend.Upload(new float[4], x));
        using var graph = backend.EndCapture();
        Assert.Contains("capture", error.Message);
    }

    [Fact]
    public void Fp16_backend_runs_matmul_and_attention_in_fp16()
    {
        device.Require();
        using var backend = new CudaBackend(0, DType.F16);
        Assert.Equal(DType.F16, backend.CacheType);
        KernelChecks.MatMul(backend, 3, 129, 33, withBias: true, outputType: null, seed: 5);
        var shape = new AttentionShape(8, 2, 64, 0.125f, 0, 16);
        KernelChecks.Attention(backend, PagedLayout.Create([300, 20], [1, 1], 16, new Random(6)), shape, 6);
        KernelChecks.Attention(backend, PagedLayout.Create([50], [50], 16, new Random(7)), shape, 7);
    }
}
