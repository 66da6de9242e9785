using Microsoft.Extensions.Configuration;

namespace InferMesh.AppHost;

/// <summary>The app host's settings (configuration section <c>Parameters</c>), with the single-machine defaults.</summary>
public sealed record ClusterSettings
{
    public const string EmbeddedModel = "infermesh-tiny";

    /// <summary>Model folder every silo loads.</summary>
    public required string ModelDirectory { get; init; }

    public int Silos { get; init; } = 1;

    public int GatewayPort { get; init; } = 8080;

    /// <summary>Redis even for one silo (sessions then survive a silo restart).</summary>
    public bool ForceRedis { get; init; }

    /// <summary>Run Redis as a container (needs Docker) instead of the machine's redis-server.</summary>
    public bool RedisAsContainer { get; init; }

    public int RedisPort { get; init; } = 6390;

    /// <summary>Orleans silo-to-silo port of the single silo (development clustering).</summary>
    public int OrleansSiloPort { get; init; } = 11111;

    /// <summary>Orleans client gateway port of the single silo (development clustering).</summary>
    public int OrleansGatewayPort { get; init; } = 30000;

    /// <summary>An API key the gateway requires (tenant "default"); null leaves the gateway open.</summary>
    public string? ApiKey { get; init; }

    public bool UsesRedis => Silos > 1 || ForceRedis;

    /// <summary>CPU threads each silo's engine may use, so silos on one machine do not fight over cores.</summary>
    public int CpuThreadsPerSilo => Math.Max(1, Environment.ProcessorCount / Silos);

    public static ClusterSettings From(IConfiguration configuration)
    {
        var p = configuration.GetSection("Parameters");
        var silos = p.GetValue("silos", 1);
        if (silos < 1)
        {
            throw new InvalidOperationException($"Parameters:silos is {silos}; run at least one silo");
        }

        var redis = p["redis"] ?? "executable";
        if (redis is not ("executable" or "container"))
        {
            throw new InvalidOperationException($"Parameters:redis is '{redis}'; use 'executable' (redis-server on this machine) or 'container' (Docker)");
        }

        return new ClusterSettings
        {
            ModelDirectory = Path.GetFullPath(p["model"] ?? DefaultModelDirectory()),
            Silos = silos,
            GatewayPort = p.GetValue("gateway-port", 8080),
            ForceRedis = redis == "container" || p.GetValue("force-redis", false),
            RedisAsContainer = redis == "container",
            RedisPort = p.GetValue("redis-port", 6390),
            OrleansSiloPort = p.GetValue("orleans-silo-port", 11111),
            OrleansGatewayPort = p.GetValue("orleans-gateway-port", 30000),
            ApiKey = p["api-key"] is { Length: > 0 } key ? key : null,
        };
    }

    /// <summary>models/infermesh-tiny of the source tree, or the golden tiny-llama until the embedded model exists.</summary>
    private static string DefaultModelDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InferMesh.sln")))
            {
                var embedded = Path.Combine(dir.FullName, "models", EmbeddedModel);
                return File.Exists(Path.Combine(embedded, "config.json")) ? embedded : Path.Combine(dir.FullName, "tests", "fixtures", "golden", "tiny-llama");
            }
        }

        throw new DirectoryNotFoundException("cannot find the InferMesh source tree for the default model; pass --Parameters:model=DIR");
    }
}
