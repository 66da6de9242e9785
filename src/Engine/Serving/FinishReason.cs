namespace InferMesh.Engine.Serving;

/// <summary>Why a sequence stopped (OpenAI's names where they exist).</summary>
public enum FinishReason
{
    None,
    Stop,
    Length,
    Cancelled,
    Error,
}
