using ILGPU;

namespace InferMesh.Kernels.Cuda;

/// <summary>Operands of one column-major strided-batched GEMM, C = alpha·op(A)·op(B), offsets and strides in elements.</summary>
internal struct GemmParams
{
    public int TransA;
    public int TransB;
    public int M;
    public int N;
    public int K;
    public float Alpha;
    public long OffsetA;
    public int Lda;
    public long StrideA;
    public long OffsetB;
    public int Ldb;
    public long StrideB;
    public long OffsetC;
    public int Ldc;
    public long StrideC;
    public int Batch;
}

/// <summary>
/// cublasGemmStridedBatchedEx's contract (column-major, op = N or T, beta = 0, fp32 accumulation) as one thread
/// per output element, for accelerators without cuBLAS: ILGPU's CPU accelerator in tests, so the GEMM attention
/// paths' index arithmetic is checked without a GPU. Never used on a CUDA device.
/// </summary>
internal static class NaiveGemmKernel
{
    public static void Run<T, C, TO, CO>(ArrayView<T> a, ArrayView<T> b, ArrayView<TO> c, GemmParams g)
        where T : unmanaged
        where C : struct, IElementCodec<T>
        where TO : unmanaged
        where CO : struct, IElementCodec<TO>
    {
        C codec = default;
        CO output = default;
        long count = (long)g.Batch * g.M * g.N;
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < count; i += stride)
        {
            long batch = i / ((long)g.M * g.N);
            long rest = i - batch * g.M * g.N;
            long column = rest / g.M;
            long row = rest - column * g.M;
            long aBase = g.OffsetA + batch * g.StrideA;
            long bBase = g.OffsetB + batch * g.StrideB;
            float sum = 0f;
            for (long p = 0; p < g.K; p++)
            {
                float x = codec.Decode(a[aBase + (g.TransA == 0 ? row + p * g.Lda : p + row * g.Lda)]);
                float y = codec.Decode(b[bBase + (g.TransB == 0 ? p + column * g.Ldb : column + p * g.Ldb)]);
                sum += x * y;
            }

            c[g.OffsetC + batch * g.StrideC + row + column * g.Ldc] = output.Encode(g.Alpha * sum);
        }
    }
}
