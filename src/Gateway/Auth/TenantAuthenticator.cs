using System.Security.Cryptography;
using System.Text;
using InferMesh.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Auth;

/// <summary>
/// Resolves the tenant of a request from its <c>Authorization: Bearer</c> key. Keys are compared in constant time.
/// With no keys configured every request is tenant <see cref="OpenTenant"/>.
/// </summary>
public sealed class TenantAuthenticator
{
    public const string OpenTenant = "default";

    private readonly (byte[] Key, string Tenant)[] _keys;

    public TenantAuthenticator(IOptions<GatewayOptions> options)
    {
        _keys = [.. options.Value.ApiKeys.Select(kv => (Encoding.UTF8.GetBytes(kv.Key), Validate(kv.Value)))];
    }

    public bool IsOpen => _keys.Length == 0;

    public string Authenticate(HttpRequest request)
    {
        if (IsOpen)
        {
            return OpenTenant;
        }

        var header = request.Headers.Authorization;
        if (header.Count == 0 || string.IsNullOrEmpty(header[0]))
        {
            throw new ApiErrorException(ApiError.Unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."));
        }

        var value = header[0]!;
        const string scheme = "Bearer ";
        if (header.Count > 1 || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || value.Length == scheme.Length)
        {
            throw new ApiErrorException(ApiError.Unauthorized("Malformed Authorization header: expected exactly one 'Bearer YOUR_KEY'."));
        }

        var presented = Encoding.UTF8.GetBytes(value[scheme.Length..].Trim());
        string? tenant = null;
        foreach (var (key, name) in _keys)
        {
            // Look at every key so timing reveals nothing about which one nearly matched.
            if (CryptographicOperations.FixedTimeEquals(key, presented))
            {
                tenant = name;
            }
        }

        return tenant ?? throw new ApiErrorException(ApiError.Unauthorized("Incorrect API key provided."));
    }

    private static string Validate(string tenant) =>
        !string.IsNullOrWhiteSpace(tenant) && !tenant.Contains('/') && !tenant.Any(char.IsControl)
            ? tenant
            : throw new InvalidOperationException($"{GatewayOptions.Section}:ApiKeys maps a key to tenant '{tenant}'; tenant names must be non-empty and contain no '/' or control characters");
}
