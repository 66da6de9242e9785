using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>Where the member that will decode puts the prompt's KV after a ring prefill (an engine's paged cache).</summary>
public interface IRingKvSink
{
    /// <summary>Stores one layer's key and value rows, row r at prompt position <paramref name="positions"/>[r].</summary>
    void Write(int layer, DeviceTensor keys, DeviceTensor values, IReadOnlyList<int> positions);
}
