using InferMesh.Kernels;
using InferMesh.Kernels.Cuda;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// Host-device copies read and write managed arrays through raw addresses: the arrays must stay pinned for the copy,
/// or a compacting garbage collection on another thread moves them mid-copy and the copy reads or writes stale memory
/// (seen once in a while as garbage logits on a loaded CI machine). Checked on the simulated device, whose copies
/// are plain memory copies, with another thread compacting the heap as fast as it can.
/// </summary>
[Trait("Category", "GpuSimulated")]
[Collection("GpuSimulated")]
public sealed class SimulatedHostCopyTests
{
    [Fact]
    public void Uploads_and_downloads_keep_their_data_while_the_heap_is_compacted()
    {
        using var backend = new CudaBackend(DType.F32);
        using var tensor = backend.Allocate(64, 64, DType.F32);
        bool stop = false;
        var collector = new Thread(() =>
        {
            var garbage = new List<byte[]>();
            while (!Volatile.Read(ref stop))
            {
                // Fresh small objects between the arrays under copy, then a compacting collection to slide them down.
                for (int i = 0; i < 64; i++)
                    garbage.Add(new byte[256]);
                garbage.RemoveRange(0, garbage.Count / 2);
                GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: true);
            }
        }) { IsBackground = true };
        collector.Start();
        var random = new Random(3);
        int mismatches = 0;
        try
        {
            for (int round = 0; round < 3000 && mismatches == 0; round++)
            {
                var sent = new float[64 * 64];
                for (int i = 0; i < sent.Length; i++)
                    sent[i] = random.NextSingle();
                _ = new byte[random.Next(16, 512)];
                backend.Upload(sent, tensor);
                var received = new float[sent.Length];
                backend.Download(tensor, received);
                if (!sent.AsSpan().SequenceEqual(received))
                    mismatches++;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }

        Assert.Equal(0, mismatches);
    }
}
