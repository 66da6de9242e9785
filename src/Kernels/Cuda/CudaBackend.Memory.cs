using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using InferMesh.Kernels.Numerics;

namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    // Host staging for 16-bit conversions, grown on demand and reused (copies from pageable memory are staged by the
    // driver before the call returns, so reuse right after is safe).
    private ushort[] staging = [];

    public DeviceTensor Allocate(int rows, int cols, DType? dtype = null)
    {
        Enter();
        RefuseWhileCapturing(nameof(Allocate));
        DType type = dtype ?? ActivationType;
        long bytes = (long)rows * cols * CudaTensor.SizeOf(type);
        var buffer = accelerator.Allocate1D<byte>(Math.Max(bytes, 1));
        // Zeroed like the CPU backend's fresh arrays, so no caller ever reads leftovers of another tensor.
        buffer.View.BaseView.MemSetToZero(stream);
        return new CudaTensor(this, buffer, 0, rows, cols, type, ownsBuffer: true, type == DType.I32 ? new IndexMirror((long)rows * cols) : null);
    }

    public DeviceTensor LoadWeight(ReadOnlySpan<byte> raw, DType sourceType, int rows, int cols)
    {
        Enter();
        RefuseWhileCapturing(nameof(LoadWeight));
        long count = (long)rows * cols;
        if (sourceType == DType.I32)
            throw new ArgumentException("Weights are F32, F16 or BF16; I32 is for index tensors (use Allocate and Upload).", nameof(sourceType));
        if (raw.Length != count * CudaTensor.SizeOf(sourceType))
            throw new ArgumentException($"Weight [{rows}x{cols}] of {sourceType} needs {count * CudaTensor.SizeOf(sourceType)} bytes, got {raw.Length}.", nameof(raw));

        // fp32 activations widen every weight (exact); 16-bit activations keep 16-bit weights as stored.
        DType storage = ActivationType == DType.F32 || sourceType == DType.F32 ? ActivationType : sourceType;
        var tensor = (CudaTensor)Allocate(rows, cols, storage);
        if (count == 0)
            return tensor;
        if (storage == sourceType)
        {
            CopyIn(tensor.Bytes, raw);
        }
        else if (sourceType == DType.F32)
        {
            UploadConverted(MemoryMarshal.Cast<byte, float>(raw), tensor);
        }
        else
        {
            UploadWidened(raw, sourceType, tensor);
        }

        return tensor;
    }

    public void Upload(ReadOnlySpan<float> source, DeviceTensor destination)
    {
        Enter();
        RefuseWhileCapturing(nameof(Upload));
        var tensor = Own(destination, nameof(destination));
        CheckCount(source.Length, tensor, nameof(source));
        if (source.IsEmpty)
            return;
        switch (tensor.DType)
        {
            case DType.F32:
                CopyIn(tensor.Floats, source);
                break;
            case DType.BF16 or DType.F16:
                UploadConverted(source, tensor);
                break;
            default:
                throw new ArgumentException($"Cannot upload floats into {tensor}: it holds I32 indices.", nameof(destination));
        }
    }

    public void Upload(ReadOnlySpan<int> source, DeviceTensor destination)
    {
        Enter();
        RefuseWhileCapturing(nameof(Upload));
        var tensor = Own(destination, nameof(destination));
        CheckCount(source.Length, tensor, nameof(source));
        if (tensor.DType != DType.I32)
            throw new ArgumentException($"Cannot upload ints into {tensor}: allocate it as I32.", nameof(destination));
        if (!source.IsEmpty)
            CopyIn(tensor.Ints, source);
        tensor.Mirror?.Write(tensor.MirrorOffset, source);
    }

    public void Download(DeviceTensor source, Span<float> destination)
    {
        Enter();
        RefuseWhileCapturing(nameof(Download));
        var tensor = Own(source, nameof(source));
        CheckCount(destination.Length, tensor, nameof(destination));
        if (destination.IsEmpty)
            return;
        switch (tensor.DType)
        {
            case DType.F32:
                CopyOut(tensor.Floats, destination);
                break;
            case DType.BF16 or DType.F16:
                var bits = Staging(destination.Length);
                CopyOut(tensor.Halves, bits);
                if (tensor.DType == DType.BF16)
                {
                    for (int i = 0; i < bits.Length; i++)
                        destination[i] = Bf16Bits.ToFloat(bits[i]);
                }
                else
                {
                    for (int i = 0; i < bits.Length; i++)
                        destination[i] = (float)BitConverter.UInt16BitsToHalf(bits[i]);
                }

                break;
            default:
                throw new ArgumentException($"Cannot download {tensor} as floats: it holds I32 indices.", nameof(source));
        }
    }

    public void Download(DeviceTensor source, Span<int> destination)
    {
        Enter();
        RefuseWhileCapturing(nameof(Download));
        var tensor = Own(source, nameof(source));
        CheckCount(destination.Length, tensor, nameof(destination));
        if (tensor.DType != DType.I32)
            throw new ArgumentException($"Cannot download {tensor} as ints: it holds floats.", nameof(source));
        if (destination.IsEmpty)
            return;
        CopyOut(tensor.Ints, destination);
    }

    public void Copy(DeviceTensor source, DeviceTensor destination)
    {
        Enter();
        var from = Own(source, nameof(source));
        var to = Own(destination, nameof(destination));
        if (from.ElementCount != to.ElementCount)
            throw new ArgumentException($"Copy from {from} to {to}: element counts differ.", nameof(destination));
        if (from.ElementCount == 0)
            return;
        if (from.DType == to.DType)
        {
            from.Bytes.CopyTo(stream, to.Bytes);
            to.Mirror?.CopyFrom(from.Mirror, from.MirrorOffset, to.MirrorOffset, checked((int)to.ElementCount));
        }
        else if (from.DType != DType.I32 && to.DType != DType.I32)
        {
            Conversion(from.DType, to.DType).Convert(stream, from, to);
        }
        else
        {
            throw new ArgumentException($"Copy from {from} to {to}: I32 tensors copy only to I32 tensors.", nameof(destination));
        }
    }

    private void UploadConverted(ReadOnlySpan<float> source, CudaTensor tensor)
    {
        var bits = Staging(source.Length);
        if (tensor.DType == DType.BF16)
        {
            for (int i = 0; i < bits.Length; i++)
                bits[i] = Bf16Bits.FromFloat(source[i]);
        }
        else
        {
            for (int i = 0; i < bits.Length; i++)
                bits[i] = BitConverter.HalfToUInt16Bits((System.Half)source[i]);
        }

        CopyIn(tensor.Halves, (ReadOnlySpan<ushort>)bits);
    }

    /// <summary>16-bit weight bytes widened to fp32 on the host (exact), in slices so the staging stays small.</summary>
    private void UploadWidened(ReadOnlySpan<byte> raw, DType sourceType, CudaTensor tensor)
    {
        const int slice = 1 << 22;
        var floats = new float[(int)Math.Min(slice, tensor.ElementCount)];
        var target = tensor.Floats;
        for (long start = 0; start < tensor.ElementCount; start += slice)
        {
            int n = (int)Math.Min(slice, tensor.ElementCount - start);
            FloatConversion.ToSingle(raw.Slice((int)(start * 2), n * 2), sourceType, floats.AsSpan(0, n));
            CopyIn(target.SubView(start, n), (ReadOnlySpan<float>)floats.AsSpan(0, n));
        }
    }

    /// <summary>
    /// Host to device without ILGPU's trailing stream synchronisation: pageable sources are staged by the driver before
    /// the call returns. The source is pinned for the call: ILGPU takes its raw address, and a garbage collection on
    /// another thread could otherwise move a managed array mid-copy (seen as rare garbage data on a loaded machine).
    /// </summary>
    private unsafe void CopyIn<T>(ArrayView<T> target, ReadOnlySpan<T> source)
        where T : unmanaged
    {
        fixed (T* pinned = source)
            target.CopyFromCPUUnsafeAsync(stream, ref Unsafe.AsRef<T>(pinned), source.Length);
    }

    /// <summary>Device to host, waiting for the stream (and so for every kernel that writes the source); the destination is pinned until then.</summary>
    private unsafe void CopyOut<T>(ArrayView<T> source, Span<T> destination)
        where T : unmanaged
    {
        fixed (T* pinned = destination)
        {
            source.CopyToCPUUnsafeAsync(stream, ref Unsafe.AsRef<T>(pinned), destination.Length);
            stream.Synchronize();
        }
    }

    private Span<ushort> Staging(int count)
    {
        if (staging.Length < count)
            staging = new ushort[count];
        return staging.AsSpan(0, count);
    }

    /// <summary>A device temporary of the given shape and type in scratch slot <paramref name="slot"/>.</summary>
    private CudaTensor Temporary(int slot, int rows, int cols, DType type)
    {
        var buffer = scratch.Get(slot, (long)rows * cols * CudaTensor.SizeOf(type));
        return new CudaTensor(this, buffer, 0, rows, cols, type, ownsBuffer: false);
    }

    /// <summary><paramref name="tensor"/> itself when it already has <paramref name="type"/>, else a converted copy in scratch.</summary>
    private CudaTensor As(CudaTensor tensor, DType type, int slot)
    {
        if (tensor.DType == type)
            return tensor;
        if (tensor.DType == DType.I32)
            throw new ArgumentException($"Expected a float tensor, got {tensor}.");
        var converted = Temporary(slot, tensor.Rows, tensor.Cols, type);
        Conversion(tensor.DType, type).Convert(stream, tensor, converted);
        return converted;
    }

    private CudaTensor Own(DeviceTensor tensor, string parameter)
    {
        ArgumentNullException.ThrowIfNull(tensor, parameter);
        if (tensor is not CudaTensor cuda || !ReferenceEquals(cuda.Owner, this))
            throw new ArgumentException($"{parameter} ({tensor}) was not allocated by this CUDA backend ({DeviceName}).", parameter);
        return cuda;
    }

    private static void CheckCount(int hostLength, CudaTensor tensor, string parameter)
    {
        if (hostLength != tensor.ElementCount)
            throw new ArgumentException($"Host span has {hostLength} elements but tensor {tensor} has {tensor.ElementCount}.", parameter);
    }
}
