namespace InferMesh.Kernels;

/// <summary>Element types a tensor can hold. Weights arrive as F32/F16/BF16; index tensors are I32.</summary>
public enum DType
{
    F32,
    F16,
    BF16,
    I32,
}
