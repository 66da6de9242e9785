using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;
using static InferMesh.Kernels.Tests.Cuda.TestTensors;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// Copies between two CUDA backends, as ring members make them: two contexts sharing GPU 0, and GPU 0 to GPU 1 where
/// the machine has two. The copy is ordered after the producer's pending work and before the receiver's next
/// kernel without any host wait, so a kernel enqueued right after on the receiver sees the data; I32 position
/// tensors carry their host mirror along (block attention on the receiver then needs no download).
/// </summary>
[Trait("Category", "Gpu")]
[Collection("Gpu")]
public sealed class CudaPeerCopyTests(CudaDeviceFixture device)
{
    [Fact]
    public void Two_contexts_on_one_gpu_copy_floats_and_positions()
    {
        var a = device.Require();
        var b = device.RequireSecondContext();
        Assert.Equal(PeerLink.SameDevice, a.LinkTo(b));
        CopiesArriveInOrder(a, b);
        CopiesArriveInOrder(b, a);
    }

    [Fact]
    public void Two_gpus_copy_floats_and_positions_over_peer_access()
    {
        var a = device.Require();
        var b = device.RequireOtherGpu();
        Assert.Contains(a.LinkTo(b), new[] { PeerLink.DirectPeer, PeerLink.HostStaged });
        CopiesArriveInOrder(a, b);
        CopiesArriveInOrder(b, a);
    }

    [Fact]
    public void Block_attention_after_a_peer_copy_uses_the_copied_positions()
    {
        var a = device.Require();
        var b = device.RequireSecondContext();
        var shape = new AttentionShape(8, 2, 64, 0.125f, 0, 16);
        var random = new Random(70);
        int[] queryPositions = BlockAttentionChecks.ZigZag(1200, 2, 1), keyPositions = BlockAttentionChecks.ZigZag(1200, 2, 0);
        var q = Bf16Random(random, queryPositions.Length * shape.QueryWidth, 3f);
        var k = Bf16Random(random, keyPositions.Length * shape.KvWidth);
        var v = Bf16Random(random, keyPositions.Length * shape.KvWidth);
        (float[] Output, float[] Lse) Attend(CudaBackend backend, DeviceTensor qp)
        {
            using var tq = Upload(backend, q, queryPositions.Length, shape.QueryWidth);
            using var tk = Upload(backend, k, keyPositions.Length, shape.KvWidth);
            using var tv = Upload(backend, v, keyPositions.Length, shape.KvWidth);
            using var kp = Upload(backend, keyPositions, keyPositions.Length, 1);
            using var output = Poisoned(backend, queryPositions.Length, shape.QueryWidth);
            using var lse = Poisoned(backend, queryPositions.Length, shape.NumHeads, DType.F32);
            backend.BlockAttention(tq, qp, tk, tv, kp, shape, output, lse);
            return (Download(backend, output), Download(backend, lse));
        }

        using var sent = Upload(a, queryPositions, queryPositions.Length, 1);
        using var received = b.Allocate(queryPositions.Length, 1, DType.I32);
        a.CopyToPeer(sent, b, received);
        var (expectedOutput, expectedLse) = Attend(a, sent);
        var (output, lse) = Attend(b, received);

        // Same kernels on the same inputs in another context: equal up to cuBLAS's choice of algorithm.
        for (int i = 0; i < lse.Length; i++)
            Assert.True(float.IsNegativeInfinity(expectedLse[i]) ? float.IsNegativeInfinity(lse[i]) : Math.Abs(lse[i] - expectedLse[i]) <= 1e-4, $"lse {i}: {lse[i]} vs {expectedLse[i]}");
        AssertClose(output, expectedOutput, 1e-3, "block attention over copied positions");
    }

    private static void CopiesArriveInOrder(CudaBackend from, CudaBackend to)
    {
        var random = new Random(71);
        const int rows = 4099, cols = 1024;
        var values = Bf16Random(random, rows * cols);
        var addend = Bf16Random(random, rows * cols);
        var positions = Enumerable.Range(0, rows).Select(i => (i * 13) % 5003).ToArray();
        using var source = Upload(from, values, rows, cols);
        using var other = Upload(from, addend, rows, cols);
        using var destination = Poisoned(to, rows, cols);
        using var sourcePositions = Upload(from, positions, rows, 1);
        using var destinationPositions = to.Allocate(rows, 1, DType.I32);

        // The producer's kernel is still queued when the copy is issued; the receiver's next kernel reads the copy.
        from.Add(source, other);
        from.CopyToPeer(source, to, destination);
        from.CopyToPeer(sourcePositions, to, destinationPositions);
        to.Add(destination, destination);

        var expected = values.Zip(addend, (x, y) => 2 * RoundToBf16(x + y)).ToArray();
        Assert.Equal(expected, Download(to, destination));
        var copied = new int[rows];
        to.Download(destinationPositions, copied);
        Assert.Equal(positions, copied);
        var mirror = ((CudaTensor)destinationPositions).Mirror!;
        Assert.True(mirror.TryRead(0, rows, out var known) && known.SequenceEqual(positions), "the copy carried the host mirror of the positions");
    }
}
