using InferMesh.Contracts;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Auth;

/// <summary>
/// The cache namespace of an authenticated tenant (see <see cref="CacheNamespaces"/>): its own, unless
/// <see cref="GatewayOptions.SharedCacheGroups"/> puts it in a group whose members share one. Never taken from the
/// request, so no request can reach another tenant's caches.
/// </summary>
public sealed class CacheNamespacePolicy
{
    private readonly Dictionary<string, string> _groups;

    public CacheNamespacePolicy(IOptions<GatewayOptions> options)
    {
        _groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (tenant, group) in options.Value.SharedCacheGroups)
        {
            if (string.IsNullOrWhiteSpace(group) || group.Contains('/') || group.Any(char.IsControl))
            {
                throw new InvalidOperationException($"{GatewayOptions.Section}:SharedCacheGroups maps tenant '{tenant}' to group '{group}'; group names must be non-empty and contain no '/' or control characters");
            }

            _groups[tenant] = group;
        }
    }

    public string For(string tenant) =>
        _groups.TryGetValue(tenant, out var group) ? CacheNamespaces.ForSharedGroup(group) : CacheNamespaces.ForTenant(tenant);
}
