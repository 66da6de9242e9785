namespace InferMesh.Engine.Loading;

/// <summary>The gated MLP's activation on the gate half: act(gate(x)) · up(x).</summary>
public enum MlpActivation
{
    /// <summary>silu (the Llama family's SwiGLU).</summary>
    Silu,

    /// <summary>torch's gelu(approximate="tanh"), transformers' "gelu_pytorch_tanh" (Gemma's GeGLU).</summary>
    GeluTanh,
}
