using InferMesh.Contracts;
using InferMesh.Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace InferMesh.Gateway.Endpoints;

/// <summary>Picks and checks the session of a request: <c>X-Session-Id</c> header or <c>session_id</c> body field.</summary>
public static class SessionIds
{
    public const string Header = "X-Session-Id";

    public static string? Select(HttpRequest request, string? fromBody)
    {
        var header = request.Headers[Header];
        if (header.Count > 1)
        {
            throw new ApiErrorException(ApiError.Invalid($"Send one {Header} header, not {header.Count}.", "session_id"));
        }

        var fromHeader = header.Count == 1 ? header[0] : null;
        if (fromHeader is not null && fromBody is not null && fromHeader != fromBody)
        {
            throw new ApiErrorException(ApiError.Invalid($"The {Header} header and the 'session_id' field name different sessions.", "session_id"));
        }

        var id = fromHeader ?? fromBody;
        return id is null ? null : Validate(id);
    }

    public static string Validate(string id) =>
        SessionKeys.IsValidSessionId(id)
            ? id
            : throw new ApiErrorException(ApiError.Invalid($"Invalid session id: use 1 to {SessionKeys.MaxSessionIdLength} letters, digits or -_.:@.", "session_id", "invalid_session_id"));

    /// <summary>A one-off session for a request without one; '~' never appears in client session ids.</summary>
    public static string Ephemeral(string tenant) => SessionKeys.Compose(tenant, "~" + Guid.NewGuid().ToString("N"));
}
