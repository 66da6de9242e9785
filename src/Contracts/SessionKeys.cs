namespace InferMesh.Contracts;

/// <summary>
/// Session grain keys are <c>tenant/session</c>: the tenant comes from the caller's API key, never from the request,
/// so one tenant cannot name another's session.
/// </summary>
public static class SessionKeys
{
    /// <summary>Longest session id accepted.</summary>
    public const int MaxSessionIdLength = 128;

    public static string Compose(string tenant, string sessionId) => $"{tenant}/{sessionId}";

    /// <summary>Splits a key at its first '/' (tenants contain none; session ids may).</summary>
    public static (string Tenant, string SessionId) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new ArgumentException($"session key '{key}' is not of the form tenant/session", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>True for 1–128 characters of letters, digits and <c>-_.:@</c> (no slash, no whitespace, no control characters).</summary>
    public static bool IsValidSessionId(string? sessionId)
    {
        if (string.IsNullOrEmpty(sessionId) || sessionId.Length > MaxSessionIdLength)
        {
            return false;
        }

        foreach (var c in sessionId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@'))
            {
                return false;
            }
        }

        return true;
    }
}
