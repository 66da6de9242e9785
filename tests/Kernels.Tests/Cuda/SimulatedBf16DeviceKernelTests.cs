using InferMesh.Kernels;

namespace InferMesh.Kernels.Tests.Cuda;

/// <summary>The simulated-device kernel checks with bf16 activations and KV (the CUDA backend's default).</summary>
[Collection("GpuSimulated")]
public sealed class SimulatedBf16DeviceKernelTests() : SimulatedDeviceKernelTests(DType.BF16);
