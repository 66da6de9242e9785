namespace InferMesh.Contracts;

/// <summary>What went wrong with a request, so the gateway can answer with the right status (OpenAI's error types).</summary>
public enum InferenceErrorKind
{
    /// <summary>400 invalid_request_error.</summary>
    InvalidRequest,

    /// <summary>400 invalid_request_error, code context_length_exceeded.</summary>
    ContextLengthExceeded,

    /// <summary>404 model_not_found.</summary>
    ModelNotFound,

    /// <summary>409: another turn of the same session is still running.</summary>
    SessionBusy,

    /// <summary>429: the engine's queue is full; retry later.</summary>
    Overloaded,

    /// <summary>503: no silo can serve the model right now.</summary>
    Unavailable,

    /// <summary>500: the engine failed.</summary>
    EngineError,
}
