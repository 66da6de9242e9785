using InferMesh.Contracts;
using Orleans.Runtime;

namespace InferMesh.Gateway.Errors;

/// <summary>Maps what the cluster threw to the HTTP answer a client should see.</summary>
public static class ClusterErrors
{
    public static ApiError ToApiError(Exception ex, int retryAfterSeconds) => ex switch
    {
        ApiErrorException api => api.Error,
        InferenceException { Kind: InferenceErrorKind.ContextLengthExceeded } e => ApiError.Invalid(e.Message, e.Param, "context_length_exceeded"),
        InferenceException { Kind: InferenceErrorKind.InvalidRequest } e => ApiError.Invalid(e.Message, e.Param),
        InferenceException { Kind: InferenceErrorKind.ModelNotFound } e => new ApiError(404, e.Message, "invalid_request_error", e.Param ?? "model", "model_not_found"),
        InferenceException { Kind: InferenceErrorKind.SessionBusy } e => new ApiError(409, e.Message, "invalid_request_error", e.Param, "session_busy"),
        InferenceException { Kind: InferenceErrorKind.Overloaded } e => ApiError.Overloaded(e.Message, retryAfterSeconds),
        InferenceException { Kind: InferenceErrorKind.Unavailable } e => ApiError.Unavailable(e.Message, retryAfterSeconds),
        InferenceException e => ApiError.Internal(e.Message),
        _ when IsTransient(ex) => ApiError.Unavailable($"the cluster could not serve the request right now ({ex.GetType().Name}); retry shortly", retryAfterSeconds),
        _ => ApiError.Internal($"the gateway failed: {ex.GetType().Name}: {ex.Message}"),
    };

    /// <summary>Errors after which the same turn may succeed on another attempt (silo gone, cluster re-forming).</summary>
    public static bool IsTransient(Exception ex) => ex is SiloUnavailableException or OrleansMessageRejectionException
        or GatewayTooBusyException or TimeoutException or InferenceException { Kind: InferenceErrorKind.Unavailable }
        || ex.GetType().Name.StartsWith("Connection", StringComparison.Ordinal) // Orleans' connection exceptions are not all public
        || (ex.InnerException is { } inner && IsTransient(inner));
}
