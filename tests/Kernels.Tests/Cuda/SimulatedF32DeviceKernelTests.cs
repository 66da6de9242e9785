using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>
/// The simulated-device kernel checks with fp32 activations and KV (fp32 mode), at fp32 tolerance. The simulated-device
/// classes share one collection: run side by side on a 2-core CI machine they oversubscribe ILGPU's CPU accelerator
/// threads, and one CI run saw garbage logits from this class that no serial run reproduced.
/// </summary>
[Collection("GpuSimulated")]
public sealed class SimulatedF32DeviceKernelTests() : SimulatedDeviceKernelTests(DType.F32);
