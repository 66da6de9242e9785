namespace InferMesh.Contracts;

/// <summary>A request the cluster refused or could not serve; crosses grain calls intact so the gateway maps it to an HTTP answer.</summary>
[GenerateSerializer]
public sealed class InferenceException : Exception
{
    public InferenceException(InferenceErrorKind kind, string message, string? param = null)
        : base(message)
    {
        Kind = kind;
        Param = param;
    }

    [Id(0)] public InferenceErrorKind Kind { get; private set; }

    /// <summary>The request field at fault (OpenAI's error.param), when there is one.</summary>
    [Id(1)] public string? Param { get; private set; }
}
