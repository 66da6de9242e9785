namespace InferMesh.Kernels.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// y = x · weightᵀ (+ bias): 1..8 rows of 16-bit operands through the GEMV kernel (<see cref="TryGemv"/>), anything
    /// else through one cublasGemmEx call. Hugging Face stores a linear layer as W[out, in] row-major,
    /// which cuBLAS (column-major) sees as a [in × out] matrix, so yᵀ[out × T] = op(W)·xᵀ with op = transpose, and
    /// row-major y[T × out] is exactly that column-major result. fp32 compute; the output is written in y's type when
    /// cuBLAS supports it (same as the weights, or F32), else in fp32 scratch and converted.
    /// </summary>
    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor? bias, DeviceTensor y)
    {
        Enter();
        var input = Float(x, nameof(x));
        var w = Float(weight, nameof(weight));
        var result = Float(y, nameof(y));
        var b = bias is null ? null : Float(bias, nameof(bias));
        if (input.Cols != w.Cols)
            throw new ArgumentException($"MatMul x {input} has {input.Cols} features but weight {w} expects {w.Cols} (weight is [out x in]).", nameof(weight));
        if (result.Rows != input.Rows || result.Cols != w.Rows)
            throw new ArgumentException($"MatMul output {result} must be [{input.Rows}x{w.Rows}].", nameof(y));
        if (b is not null && b.ElementCount != w.Rows)
            throw new ArgumentException($"MatMul bias {b} must hold {w.Rows} values.", nameof(bias));
        if (result.ElementCount == 0)
            return;

        DType type = w.DType;
        var a = As(input, type, SlotInputA);
        if (cublas is null)
        {
            var target = Target(result, type);
            Kernels(type).NaiveMatMul(stream, a, w, target);
            Finish(target, result);
        }
        else if (!TryGemv(a, w, result))
        {
            bool direct = result.DType == type || result.DType == DType.F32;
            var target = direct ? result : Temporary(SlotOutput, result.Rows, result.Cols, DType.F32);
            int dataType = CublasType(type);
            cublas.GemmEx(
                cublasHandle,
                CublasLibrary.OpT,
                CublasLibrary.OpN,
                m: w.Rows,
                n: input.Rows,
                k: input.Cols,
                alpha: 1f,
                a: w.DevicePointer,
                aType: dataType,
                lda: w.Cols,
                b: a.DevicePointer,
                bType: dataType,
                ldb: a.Cols,
                beta: 0f,
                c: target.DevicePointer,
                cType: CublasType(target.DType),
                ldc: w.Rows);
            Finish(target, result);
        }

        if (b is not null)
            Kernels(result.DType).AddBias(stream, result, As(b, result.DType, SlotParameter));
    }

    /// <summary>
    /// Column-major strided-batched C = alpha·op(A)·op(B) (beta 0, fp32 compute) over operands at element offsets of
    /// device tensors: cublasGemmStridedBatchedEx on a CUDA device, the naive kernel on the simulated one.
    /// </summary>
    private void StridedGemm(
        int transA, int transB, int m, int n, int k, float alpha,
        CudaTensor a, long offsetA, int lda, long strideA,
        CudaTensor b, long offsetB, int ldb, long strideB,
        CudaTensor c, long offsetC, int ldc, long strideC,
        int batch)
    {
        if (cublas is null)
        {
            Kernels(a.DType).NaiveGemm(stream, a, b, c, new GemmParams
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha,
                OffsetA = offsetA, Lda = lda, StrideA = strideA,
                OffsetB = offsetB, Ldb = ldb, StrideB = strideB,
                OffsetC = offsetC, Ldc = ldc, StrideC = strideC,
                Batch = batch,
            });
            return;
        }

        cublas.GemmStridedBatchedEx(
            cublasHandle, transA, transB, m, n, k, alpha,
            a.DevicePointer + (nint)(offsetA * a.ElementSize), CublasType(a.DType), lda, strideA,
            b.DevicePointer + (nint)(offsetB * b.ElementSize), CublasType(b.DType), ldb, strideB,
            0f, c.DevicePointer + (nint)(offsetC * c.ElementSize), CublasType(c.DType), ldc, strideC,
            batch);
    }

    private static int CublasType(DType type) => type switch
    {
        DType.BF16 => CublasLibrary.DataBf16,
        DType.F16 => CublasLibrary.DataF16,
        DType.F32 => CublasLibrary.DataF32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "cuBLAS multiplies float tensors only."),
    };
}
