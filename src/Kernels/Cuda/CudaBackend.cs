using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// The CUDA compute backend: ILGPU kernels for everything but linear layers, cuBLAS (cublasGemmEx, fp32 compute)
/// for those, all on one non-blocking stream. Activations and the KV cache are bf16, fp16 or fp32
/// (<see cref="ActivationType"/>); accumulation is always fp32 and downloads convert to fp32. With 16-bit activations
/// weights stay bf16/fp16 as stored (fp32 sources become the activation type); with fp32 activations every weight is
/// widened to fp32 on load, which is how transformers runs an fp32 checkpoint, so results compare with the CPU backend.
/// Not thread-safe: one caller at a time, from any thread (each call binds the CUDA context to its thread).
/// </summary>
public sealed partial class CudaBackend : IComputeBackend, IGraphCapture
{
    private const long CublasWorkspaceBytes = 32L << 20; // NVIDIA's recommendation for Hopper, and needed for graph capture.

    private readonly Context context;
    private readonly Accelerator accelerator;
    private readonly AcceleratorStream stream;
    private readonly CudaDriverLibrary? driver;
    private readonly CublasLibrary? cublas;
    private readonly IntPtr cublasHandle;
    private readonly MemoryBuffer1D<byte, Stride1D.Dense>? cublasWorkspace;
    private readonly DeviceScratch scratch;
    private readonly TypedKernelSet?[] kernelSets = new TypedKernelSet?[4];
    private readonly Dictionary<(DType, DType), ConversionKernelSet> conversions = [];
    private bool capturing;
    private bool disposed;

    /// <summary>Opens CUDA device <paramref name="deviceIndex"/> and cuBLAS; throws with what was searched when either is missing.</summary>
    /// <param name="activationType">BF16, F16 or F32: the type of activations and the KV cache.</param>
    public CudaBackend(int deviceIndex = 0, DType activationType = DType.BF16)
    {
        ActivationType = CheckActivationType(activationType);
        driver = CudaDriverLibrary.Load();
        context = Context.Create(builder => builder.Cuda());
        try
        {
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
                throw new InvalidOperationException("No CUDA device found: the NVIDIA driver (libcuda.so.1) loaded but reports no device ILGPU supports. Check nvidia-smi.");
            if (deviceIndex < 0 || deviceIndex >= devices.Count)
                throw new ArgumentOutOfRangeException(nameof(deviceIndex), deviceIndex, $"CUDA device index out of range: {devices.Count} device(s) present.");
            accelerator = context.CreateCudaAccelerator(deviceIndex);
            stream = accelerator.CreateStream();
            scratch = new DeviceScratch(accelerator);
            cublas = CublasLibrary.Load();
            cublasHandle = cublas.Create();
            // Default math never runs fp32 GEMMs on TF32 tensor cores (10-bit mantissa), so F32 activations get true
            // fp32 products (CUBLAS_COMPUTE_32F) like the CPU backend; set explicitly rather than inherited.
            cublas.SetMathMode(cublasHandle, CublasLibrary.DefaultMath);
            cublas.SetStream(cublasHandle, ((CudaStream)stream).StreamPtr);
            cublasWorkspace = accelerator.Allocate1D<byte>(CublasWorkspaceBytes);
            cublas.SetWorkspace(cublasHandle, cublasWorkspace.NativePtr, CublasWorkspaceBytes);
            LoadPtxKernels();
            DeviceName = $"cuda:{deviceIndex} {accelerator.Name}";
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the same kernels on ILGPU's CPU accelerator (a simulated GPU with 32-lane warps) so kernel logic can be
    /// checked on a machine without a GPU. Linear layers use a naive kernel instead of cuBLAS; graphs are unsupported.
    /// </summary>
    internal CudaBackend(DType activationType)
    {
        ActivationType = CheckActivationType(activationType);
        context = Context.Create(builder => builder.CPU(CPUDevice.Nvidia));
        accelerator = context.CreateCPUAccelerator(0);
        stream = accelerator.CreateStream();
        scratch = new DeviceScratch(accelerator);
        DeviceName = "ilgpu-cpu (simulated)";
    }

    public string DeviceName { get; }

    public DType ActivationType { get; }

    public DType CacheType => ActivationType;

    public bool SharesHostMemory => false;

    /// <summary>Where cuBLAS was loaded from (empty on the simulated device).</summary>
    public string CublasPath => cublas?.Path ?? string.Empty;

    public long FreeMemoryBytes
    {
        get
        {
            Enter();
            return driver is null ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : driver.MemoryInfo().Free;
        }
    }

    /// <summary>Total device memory in bytes.</summary>
    public long TotalMemoryBytes => accelerator.MemorySize;

    /// <summary>
    /// Why no CUDA backend can be created here (no driver, no device, no cuBLAS), or null when one can.
    /// Tests use it to skip with the reason stated.
    /// </summary>
    public static string? UnavailableReason()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out _))
            return "no CUDA device: the NVIDIA driver library libcuda.so.1 is not on this machine";
        using (var probe = Context.Create(builder => builder.Cuda()))
        {
            if (probe.GetCudaDevices().Count == 0)
                return "no CUDA device: libcuda.so.1 loaded but ILGPU found no supported device";
        }

        try
        {
            CublasLibrary.Load();
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }

    public void Synchronize()
    {
        Enter();
        RefuseWhileCapturing(nameof(Synchronize));
        stream.Synchronize();
    }

    public void BeginCapture()
    {
        Enter();
        if (driver is null)
            throw new NotSupportedException("Graph capture needs a CUDA device; the simulated CPU device cannot capture.");
        if (capturing)
            throw new InvalidOperationException("BeginCapture called while a capture is already in progress; call EndCapture first.");
        driver.BeginCapture(((CudaStream)stream).StreamPtr);
        capturing = true;
    }

    public IReplayableGraph EndCapture()
    {
        Enter();
        if (!capturing || driver is null)
            throw new InvalidOperationException("EndCapture called without BeginCapture.");
        capturing = false;
        IntPtr graph = driver.EndCapture(((CudaStream)stream).StreamPtr);
        try
        {
            return new CudaGraph(this, driver, driver.Instantiate(graph));
        }
        finally
        {
            driver.DestroyGraph(graph);
        }
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        accelerator.Bind();
        stream.Synchronize();
        DisposeTransfer();
        if (cublas is not null)
            cublas.Destroy(cublasHandle);
        cublasWorkspace?.Dispose();
        DisposeFlash();
        scratch.Dispose();
        stream.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }

    /// <summary>Times <paramref name="body"/> with device events on the backend's stream (median of <paramref name="repeats"/>), for benchmarks.</summary>
    public double MedianMilliseconds(Action body, int repeats)
    {
        Enter();
        if (driver is null)
            throw new NotSupportedException("Event timing needs a CUDA device.");
        IntPtr streamPtr = ((CudaStream)stream).StreamPtr;
        IntPtr start = driver.CreateEvent();
        IntPtr end = driver.CreateEvent();
        try
        {
            var times = new double[repeats];
            for (int i = 0; i < repeats; i++)
            {
                driver.Record(start, streamPtr);
                body();
                Enter();
                driver.Record(end, streamPtr);
                times[i] = driver.ElapsedMilliseconds(start, end);
            }

            Array.Sort(times);
            return times[repeats / 2];
        }
        finally
        {
            driver.DestroyEvent(start);
            driver.DestroyEvent(end);
        }
    }

    internal void Launch(IntPtr graphExecutable)
    {
        Enter();
        driver!.Launch(graphExecutable, ((CudaStream)stream).StreamPtr);
    }

    internal void Release(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        if (disposed)
            return;
        accelerator.Bind();
        buffer.Dispose();
    }

    private static DType CheckActivationType(DType type) =>
        type is DType.BF16 or DType.F16 or DType.F32
            ? type
            : throw new ArgumentOutOfRangeException(nameof(type), type, "CUDA activations are BF16, F16 or F32 (accumulation is fp32 in every case).");

    /// <summary>Binds the device context to the calling thread; every public operation starts here.</summary>
    private void Enter()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        accelerator.Bind();
    }

    private void RefuseWhileCapturing(string operation)
    {
        if (capturing)
            throw new InvalidOperationException($"{operation} is not allowed during graph capture: upload inputs before BeginCapture or between replays.");
    }

    private TypedKernelSet Kernels(DType type) => kernelSets[(int)type] ??= type switch
    {
        DType.BF16 => new TypedKernelSet<ushort, Bf16Codec>(accelerator),
        DType.F16 => new TypedKernelSet<ushort, F16Codec>(accelerator),
        DType.F32 => new TypedKernelSet<float, F32Codec>(accelerator),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Float kernels need an F32, F16 or BF16 tensor."),
    };

    private ConversionKernelSet Conversion(DType from, DType to)
    {
        if (!conversions.TryGetValue((from, to), out var set))
        {
            set = ConversionKernelSet.Create(accelerator, from, to);
            conversions[(from, to)] = set;
        }

        return set;
    }
}
