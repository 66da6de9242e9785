using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// The rotary frequency tables of one set of weights on one device: the model's table (its choice fixed by
/// <see cref="LlamaWeights.RotaryContextLength"/>), Gemma 3's table for sliding-window layers, and an all-zero table
/// for SmolLM3's NoPE layers (angle 0 — cos 1, sin 0 — so RopeWriteQkv only writes the cache, and re-rotating those
/// cached keys by a position delta leaves them as they are). Every forward pass over the weights picks a layer's
/// table here, so the engine, TokenRing members and chunk re-rotation agree.
/// </summary>
public sealed class RotaryTables : IDisposable
{
    private readonly DeviceTensor? _sliding;
    private readonly DeviceTensor? _none;
    private readonly float _slidingScaling;

    public RotaryTables(IComputeBackend backend, LlamaWeights weights)
    {
        var c = weights.Config;
        var (invFreq, scaling) = RotaryFrequencies.ForWeights(weights);
        Scaling = scaling;
        Main = backend.Allocate(1, invFreq.Length, DType.F32);
        backend.Upload(invFreq, Main);
        if (c.SlidingRope is { } slidingRope)
        {
            // Gemma 3: sliding-window layers rotate with their own frequencies (rope_local_base_freq).
            var (slidingInvFreq, slidingScaling) = RotaryFrequencies.ForCheckpoint(c with { Rope = slidingRope }, weights.RotaryContextLength);
            _slidingScaling = slidingScaling;
            _sliding = backend.Allocate(1, slidingInvFreq.Length, DType.F32);
            backend.Upload(slidingInvFreq, _sliding);
        }

        if (c.RopeLayers?.Contains(false) == true)
        {
            _none = backend.Allocate(1, invFreq.Length, DType.F32);
            backend.Upload(new float[invFreq.Length], _none);
        }
    }

    /// <summary>F32 [1 × rotaryDim/2]: the model's table.</summary>
    public DeviceTensor Main { get; }

    /// <summary>The cos/sin scaling of <see cref="Main"/> (yarn, longrope).</summary>
    public float Scaling { get; }

    /// <summary>The table and scaling <paramref name="layer"/> rotates its queries and keys with.</summary>
    public (DeviceTensor InvFreq, float Scaling) For(LayerWeights layer) =>
        !layer.UsesRope ? (_none!, 1f)
        : _sliding is not null && layer.SlidingWindow > 0 ? (_sliding, _slidingScaling)
        : (Main, Scaling);

    public void Dispose()
    {
        Main.Dispose();
        _sliding?.Dispose();
        _none?.Dispose();
    }
}
