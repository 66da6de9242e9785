using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// cuBLAS entry points bound by hand (ILGPU's own wrapper looks for libcublas.so.12 only and fails on CUDA 13).
/// The library is found by <see cref="NativeLibraryProbe"/> and its exports are called through function pointers.
/// Signatures: https://docs.nvidia.com/cuda/cublas/#cublasgemmex
/// </summary>
internal sealed unsafe class CublasLibrary
{
    public const int OpN = 0;
    public const int OpT = 1;
    public const int DataF32 = 0;   // CUDA_R_32F
    public const int DataF16 = 2;   // CUDA_R_16F
    public const int DataBf16 = 14; // CUDA_R_16BF
    public const int ComputeF32 = 68; // CUBLAS_COMPUTE_32F
    public const int GemmDefault = -1; // CUBLAS_GEMM_DEFAULT
    public const int DefaultMath = 0; // CUBLAS_DEFAULT_MATH: no TF32 for fp32 data (https://docs.nvidia.com/cuda/cublas/#cublasmath-t)

    private static readonly string[] FileNames = ["libcublas.so.13", "libcublas.so.12"];

    private readonly delegate* unmanaged<IntPtr*, int> create;
    private readonly delegate* unmanaged<IntPtr, int> destroy;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> setStream;
    private readonly delegate* unmanaged<IntPtr, IntPtr, nuint, int> setWorkspace;
    private readonly delegate* unmanaged<IntPtr, int*, int> getVersion;
    private readonly delegate* unmanaged<IntPtr, int, int> setMathMode;
    private readonly delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, IntPtr, int, int, float*, IntPtr, int, int, int, int, int> gemmEx;
    private readonly delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, long, IntPtr, int, int, long, float*, IntPtr, int, int, long, int, int, int, int> gemmStridedBatchedEx;

    private CublasLibrary(IntPtr library, string path)
    {
        Path = path;
        create = (delegate* unmanaged<IntPtr*, int>)Export(library, "cublasCreate_v2");
        destroy = (delegate* unmanaged<IntPtr, int>)Export(library, "cublasDestroy_v2");
        setStream = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(library, "cublasSetStream_v2");
        setWorkspace = (delegate* unmanaged<IntPtr, IntPtr, nuint, int>)Export(library, "cublasSetWorkspace_v2");
        getVersion = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "cublasGetVersion_v2");
        setMathMode = (delegate* unmanaged<IntPtr, int, int>)Export(library, "cublasSetMathMode");
        gemmEx = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, IntPtr, int, int, float*, IntPtr, int, int, int, int, int>)Export(library, "cublasGemmEx");
        gemmStridedBatchedEx = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, long, IntPtr, int, int, long, float*, IntPtr, int, int, long, int, int, int, int>)Export(library, "cublasGemmStridedBatchedEx");
    }

    /// <summary>Where the library was loaded from.</summary>
    public string Path { get; }

    public static CublasLibrary Load()
    {
        var searched = new List<string>();
        if (!NativeLibraryProbe.TryLoad(FileNames, Companions, searched, out IntPtr handle, out string path))
        {
            throw new DllNotFoundException(
                "cuBLAS (libcublas.so.13 or libcublas.so.12) was not found. Install the CUDA toolkit's cuBLAS, set CUDA_PATH to the "
                + "toolkit root, or add its lib folder to LD_LIBRARY_PATH. Searched: " + string.Join(", ", searched));
        }

        return new CublasLibrary(handle, path);
    }

    public IntPtr Create()
    {
        IntPtr handle;
        Check(create(&handle), "cublasCreate");
        return handle;
    }

    public void Destroy(IntPtr handle) => destroy(handle);

    public void SetStream(IntPtr handle, IntPtr stream) => Check(setStream(handle, stream), "cublasSetStream");

    public void SetWorkspace(IntPtr handle, IntPtr workspace, long bytes) => Check(setWorkspace(handle, workspace, (nuint)bytes), "cublasSetWorkspace");

    public void SetMathMode(IntPtr handle, int mode) => Check(setMathMode(handle, mode), "cublasSetMathMode");

    public int Version(IntPtr handle)
    {
        int version;
        Check(getVersion(handle, &version), "cublasGetVersion");
        return version;
    }

    /// <summary>Column-major C[m×n] = alpha·op(A)·op(B) + beta·C with fp32 compute.</summary>
    public void GemmEx(IntPtr handle, int transA, int transB, int m, int n, int k, float alpha, IntPtr a, int aType, int lda, IntPtr b, int bType, int ldb, float beta, IntPtr c, int cType, int ldc)
    {
        int status = gemmEx(handle, transA, transB, m, n, k, &alpha, a, aType, lda, b, bType, ldb, &beta, c, cType, ldc, ComputeF32, GemmDefault);
        if (status != 0)
            throw new InvalidOperationException($"cublasGemmEx(m={m}, n={n}, k={k}, A type {aType}, C type {cType}) failed with cuBLAS status {status} ({StatusName(status)}).");
    }

    /// <summary>batchCount independent GEMMs whose operands sit at fixed element strides (https://docs.nvidia.com/cuda/cublas/#cublasgemmstridedbatchedex).</summary>
    public void GemmStridedBatchedEx(IntPtr handle, int transA, int transB, int m, int n, int k, float alpha, IntPtr a, int aType, int lda, long strideA, IntPtr b, int bType, int ldb, long strideB, float beta, IntPtr c, int cType, int ldc, long strideC, int batchCount)
    {
        int status = gemmStridedBatchedEx(handle, transA, transB, m, n, k, &alpha, a, aType, lda, strideA, b, bType, ldb, strideB, &beta, c, cType, ldc, strideC, batchCount, ComputeF32, GemmDefault);
        if (status != 0)
            throw new InvalidOperationException($"cublasGemmStridedBatchedEx(m={m}, n={n}, k={k}, batch={batchCount}) failed with cuBLAS status {status} ({StatusName(status)}).");
    }

    private static IReadOnlyList<string> Companions(string fileName) => [fileName.Replace("libcublas.", "libcublasLt.", StringComparison.Ordinal)];

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address)
            ? address
            : throw new EntryPointNotFoundException($"cuBLAS library has no export {name}; it is older than CUDA 12.");

    private static void Check(int status, string call)
    {
        if (status != 0)
            throw new InvalidOperationException($"{call} failed with cuBLAS status {status} ({StatusName(status)}).");
    }

    private static string StatusName(int status) => status switch
    {
        1 => "NOT_INITIALIZED: is a CUDA device present and the driver loaded?",
        3 => "ALLOC_FAILED",
        7 => "INVALID_VALUE: a size or leading dimension is wrong",
        8 => "ARCH_MISMATCH",
        11 => "MAPPING_ERROR",
        13 => "EXECUTION_FAILED",
        14 => "INTERNAL_ERROR",
        15 => "NOT_SUPPORTED: this type combination is not available",
        _ => "see cublasStatus_t",
    };
}
