using InferMesh.Engine.KvCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// Sees each layer's attention inputs and log-sum-exp during a forward step, after the step's keys and values are
/// in the cache. Used to score how much each token depends on its context (Cache-Craft chunk scoring).
/// </summary>
public interface IAttentionObserver
{
    /// <param name="layer">Layer index within the model.</param>
    /// <param name="queries">The step's rotated queries [rows × heads·headDim].</param>
    /// <param name="lse">Log-sum-exp of each row's attention over its whole context [rows × heads].</param>
    void AfterAttention(int layer, DeviceTensor queries, DeviceTensor lse, KvCachePool cache, AttentionShape shape);
}
