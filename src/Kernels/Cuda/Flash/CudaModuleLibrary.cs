using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>
/// Driver API calls for kernels that ship as PTX rather than ILGPU code: load a module (the driver JIT-compiles the
/// PTX for the device), look up its functions, raise their shared-memory limit and launch them on ILGPU's stream.
/// They act on the calling thread's current context (the backend binds it before every call).
/// https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__MODULE.html
/// </summary>
internal sealed unsafe class CudaModuleLibrary
{
    /// <summary>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.</summary>
    private const int MaxDynamicSharedBytesAttribute = 8;

    private readonly delegate* unmanaged<IntPtr*, byte*, int> moduleLoadData;
    private readonly delegate* unmanaged<IntPtr*, IntPtr, byte*, int> moduleGetFunction;
    private readonly delegate* unmanaged<IntPtr, int> moduleUnload;
    private readonly delegate* unmanaged<IntPtr, int, int, int> funcSetAttribute;
    private readonly delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> launchKernel;
    private readonly delegate* unmanaged<int, byte**, int> getErrorName;

    private CudaModuleLibrary(IntPtr library)
    {
        moduleLoadData = (delegate* unmanaged<IntPtr*, byte*, int>)Export(library, "cuModuleLoadData");
        moduleGetFunction = (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Export(library, "cuModuleGetFunction");
        moduleUnload = (delegate* unmanaged<IntPtr, int>)Export(library, "cuModuleUnload");
        funcSetAttribute = (delegate* unmanaged<IntPtr, int, int, int>)Export(library, "cuFuncSetAttribute");
        launchKernel = (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Export(library, "cuLaunchKernel");
        getErrorName = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorName");
    }

    public static CudaModuleLibrary Load() =>
        NativeLibrary.TryLoad("libcuda.so.1", out IntPtr handle)
            ? new CudaModuleLibrary(handle)
            : throw new DllNotFoundException("The NVIDIA driver library libcuda.so.1 was not found by the system loader; install the NVIDIA driver.");

    /// <summary>Loads a NUL-terminated PTX image; the driver compiles it for the current context's device.</summary>
    public IntPtr LoadModule(ReadOnlySpan<byte> ptxWithTerminator)
    {
        IntPtr module;
        fixed (byte* image = ptxWithTerminator)
            Check(moduleLoadData(&module, image), "cuModuleLoadData");
        return module;
    }

    public IntPtr Function(IntPtr module, string name)
    {
        IntPtr function;
        byte[] ascii = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* text = ascii)
            Check(moduleGetFunction(&function, module, text), $"cuModuleGetFunction({name})");
        return function;
    }

    public void AllowDynamicShared(IntPtr function, int bytes) =>
        Check(funcSetAttribute(function, MaxDynamicSharedBytesAttribute, bytes), "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");

    /// <summary>Launches with one by-value argument of type <typeparamref name="TArgs"/> (the kernel's parameter struct).</summary>
    public void Launch<TArgs>(IntPtr function, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, IntPtr stream, ref TArgs arguments)
        where TArgs : unmanaged
    {
        fixed (TArgs* args = &arguments)
        {
            void* parameter = args;
            Check(launchKernel(function, grid.X, grid.Y, grid.Z, threads, 1, 1, sharedBytes, stream, &parameter, null), "cuLaunchKernel");
        }
    }

    public void Unload(IntPtr module) => moduleUnload(module);

    private void Check(int result, string call)
    {
        if (result == 0)
            return;
        byte* name = null;
        getErrorName(result, &name);
        string text = name == null ? "unknown" : Marshal.PtrToStringAnsi((IntPtr)name) ?? "unknown";
        throw new InvalidOperationException($"{call} failed with CUDA error {result} ({text}).");
    }

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address)
            ? address
            : throw new EntryPointNotFoundException($"libcuda has no export {name}; the NVIDIA driver is too old.");
}
