namespace InferMesh.Kernels.Cuda.Flash;

/// <summary>One PTX image embedded in this assembly, loaded into the current context (the driver JIT-compiles it).</summary>
internal sealed class PtxModule : IDisposable
{
    private readonly CudaModuleLibrary library;
    private readonly IntPtr module;

    public PtxModule(CudaModuleLibrary library, string resourceName)
    {
        this.library = library;
        using var resource = typeof(PtxModule).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The PTX resource {resourceName} is not embedded in {typeof(PtxModule).Assembly.GetName().Name}; rebuild the Kernels project.");
        var image = new byte[resource.Length + 1]; // the driver reads PTX as a NUL-terminated string
        resource.ReadExactly(image, 0, (int)resource.Length);
        module = library.LoadModule(image);
    }

    public CudaModuleLibrary Library => library;

    public IntPtr Function(string name, int dynamicSharedBytes = 0)
    {
        IntPtr function = library.Function(module, name);
        if (dynamicSharedBytes > 48 * 1024)
            library.AllowDynamicShared(function, dynamicSharedBytes);
        return function;
    }

    public void Dispose() => library.Unload(module);
}
