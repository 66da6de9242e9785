namespace InferMesh.Cluster.Tests;

/// <summary>Whether redis-server (Debian's redis-server package, installed by .ci/run) is on PATH.</summary>
internal static class RedisServer
{
    public const string MissingReason = "redis-server is not installed (apt-get install redis-server; .ci/run does it): the multi-process cluster needs it for clustering and session storage";

    public static bool IsInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => File.Exists(Path.Combine(dir, "redis-server")));
}
