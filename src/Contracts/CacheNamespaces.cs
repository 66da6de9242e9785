namespace InferMesh.Contracts;

/// <summary>
/// Cache namespaces: engines share prefix-cache blocks and chunk caches only within one, since a shared cache lets
/// one tenant time another's prompts. Every tenant has its own; tenants share one only when configured into the same
/// group (explicit opt-in). The prefixes keep a tenant's namespace apart from a group's of the same name.
/// </summary>
public static class CacheNamespaces
{
    public static string ForTenant(string tenant) => "tenant:" + tenant;

    public static string ForSharedGroup(string group) => "shared:" + group;
}
