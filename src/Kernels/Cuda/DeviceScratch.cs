using ILGPU;
using ILGPU.Runtime;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Grow-only device buffers for temporaries (type conversions, attention partials), one per slot, reused by every
/// call so steady-state steps allocate nothing. Outgrown buffers are kept until disposal because a captured graph
/// may still point at them.
/// </summary>
internal sealed class DeviceScratch(Accelerator accelerator) : IDisposable
{
    public const int SlotCount = 9;

    private readonly MemoryBuffer1D<byte, Stride1D.Dense>?[] slots = new MemoryBuffer1D<byte, Stride1D.Dense>?[SlotCount];
    private readonly List<MemoryBuffer1D<byte, Stride1D.Dense>> retired = [];

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes for <paramref name="slot"/>.</summary>
    public MemoryBuffer1D<byte, Stride1D.Dense> Get(int slot, long bytes)
    {
        var current = slots[slot];
        if (current is not null && current.Length >= bytes)
            return current;
        if (current is not null)
            retired.Add(current);
        // Grow by half again so slowly rising sizes (context length) do not reallocate every step.
        long size = Math.Max(bytes, current is null ? bytes : current.Length + current.Length / 2);
        var buffer = accelerator.Allocate1D<byte>(Math.Max(size, 256));
        slots[slot] = buffer;
        return buffer;
    }

    public ArrayView<float> Floats(int slot, long count) => Get(slot, count * sizeof(float)).View.BaseView.SubView(0, count * sizeof(float)).Cast<float>();

    public void Dispose()
    {
        foreach (var buffer in slots)
            buffer?.Dispose();
        foreach (var buffer in retired)
            buffer.Dispose();
        retired.Clear();
    }
}
