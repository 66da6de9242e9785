using System.Runtime.CompilerServices;

// ILGPU emits kernel launchers into a dynamic assembly named ILGPURuntime; they must see the internal codec and
// parameter types the kernels take.
[assembly: InternalsVisibleTo("ILGPURuntime")]

// The kernel tests drive the simulated-device constructor of CudaBackend.
[assembly: InternalsVisibleTo("InferMesh.Kernels.Tests")]

// The engine's ring tests run sequence-parallel prefill over simulated CUDA backends.
[assembly: InternalsVisibleTo("InferMesh.Engine.Tests")]
