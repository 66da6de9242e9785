using ILGPU;
using ILGPU.Runtime;

namespace InferMesh.Kernels.Cuda;

/// <summary>Kernels that read one storage type and write another: conversion and row gathers (embedding).</summary>
internal abstract class ConversionKernelSet
{
    public abstract void Convert(AcceleratorStream stream, CudaTensor source, CudaTensor destination);

    public abstract void GatherRows(AcceleratorStream stream, CudaTensor source, CudaTensor indices, CudaTensor output);

    public static ConversionKernelSet Create(Accelerator accelerator, DType from, DType to) => (from, to) switch
    {
        (DType.BF16, DType.BF16) => new ConversionKernelSet<ushort, Bf16Codec, ushort, Bf16Codec>(accelerator),
        (DType.BF16, DType.F16) => new ConversionKernelSet<ushort, Bf16Codec, ushort, F16Codec>(accelerator),
        (DType.BF16, DType.F32) => new ConversionKernelSet<ushort, Bf16Codec, float, F32Codec>(accelerator),
        (DType.F16, DType.BF16) => new ConversionKernelSet<ushort, F16Codec, ushort, Bf16Codec>(accelerator),
        (DType.F16, DType.F16) => new ConversionKernelSet<ushort, F16Codec, ushort, F16Codec>(accelerator),
        (DType.F16, DType.F32) => new ConversionKernelSet<ushort, F16Codec, float, F32Codec>(accelerator),
        (DType.F32, DType.BF16) => new ConversionKernelSet<float, F32Codec, ushort, Bf16Codec>(accelerator),
        (DType.F32, DType.F16) => new ConversionKernelSet<float, F32Codec, ushort, F16Codec>(accelerator),
        (DType.F32, DType.F32) => new ConversionKernelSet<float, F32Codec, float, F32Codec>(accelerator),
        _ => throw new NotSupportedException($"No conversion from {from} to {to}: only F32, F16 and BF16 tensors hold floats."),
    };
}

internal sealed class ConversionKernelSet<TS, CS, TD, CD>(Accelerator accelerator) : ConversionKernelSet
    where TS : unmanaged
    where CS : struct, IElementCodec<TS>
    where TD : unmanaged
    where CD : struct, IElementCodec<TD>
{
    private const int GroupSize = 256;
    private Action<AcceleratorStream, KernelConfig, ArrayView<TS>, ArrayView<TD>, int>? convert;
    private Action<AcceleratorStream, KernelConfig, ArrayView<TS>, ArrayView<int>, ArrayView<TD>, int, int, int>? gather;

    public override void Convert(AcceleratorStream stream, CudaTensor source, CudaTensor destination)
    {
        convert ??= accelerator.LoadKernel<ArrayView<TS>, ArrayView<TD>, int>(ElementwiseKernels.Convert<TS, CS, TD, CD>);
        int count = checked((int)destination.ElementCount);
        convert(stream, Config(count), source.Bytes.Cast<TS>(), destination.Bytes.Cast<TD>(), count);
    }

    public override void GatherRows(AcceleratorStream stream, CudaTensor source, CudaTensor indices, CudaTensor output)
    {
        gather ??= accelerator.LoadKernel<ArrayView<TS>, ArrayView<int>, ArrayView<TD>, int, int, int>(ElementwiseKernels.GatherRows<TS, CS, TD, CD>);
        gather(stream, Config(output.ElementCount), source.Bytes.Cast<TS>(), indices.Ints, output.Bytes.Cast<TD>(), output.Rows, output.Cols, source.Rows);
    }

    private static KernelConfig Config(long count) => new((int)Math.Clamp((count + GroupSize - 1) / GroupSize, 1, 8192), GroupSize);
}
