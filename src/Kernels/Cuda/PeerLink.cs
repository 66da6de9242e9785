namespace InferMesh.Kernels.Cuda;

/// <summary>How bytes travel between the memories of two CUDA backends.</summary>
public enum PeerLink
{
    /// <summary>One backend: an ordinary device copy on its stream.</summary>
    SameBackend,

    /// <summary>Two contexts on one GPU: a copy within the GPU's memory.</summary>
    SameDevice,

    /// <summary>Two GPUs with peer access enabled: a direct copy over NVLink or PCIe peer-to-peer.</summary>
    DirectPeer,

    /// <summary>Two GPUs without peer access (or the simulated device): the driver stages the bytes through host memory.</summary>
    HostStaged,
}
