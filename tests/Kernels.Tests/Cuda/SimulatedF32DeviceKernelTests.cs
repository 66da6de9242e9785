using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>The simulated-device kernel checks with fp32 activations and KV (fp32 mode), at fp32 tolerance.</summary>
public sealed class SimulatedF32DeviceKernelTests() : SimulatedDeviceKernelTests(DType.F32);
