namespace InferMesh.Silo.Hosting;

/// <summary>
/// How silos find each other and where sessions are stored (configuration section <c>InferMesh:Clustering</c>).
/// Ignored for whatever the standard Orleans section (<c>Orleans:Clustering</c>, <c>Orleans:GrainStorage:sessions</c>)
/// already configures — that is what the Aspire app host sets.
/// </summary>
public sealed class ClusteringSettings
{
    public const string Section = "InferMesh:Clustering";

    /// <summary><c>Development</c> (one machine, nothing to install), <c>Redis</c> or <c>AdoNet</c>.</summary>
    public string Provider { get; set; } = "Development";

    /// <summary>Redis (<c>host:port</c>) or database connection string for Redis/AdoNet clustering.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>ADO.NET provider invariant name (<c>Npgsql</c> for PostgreSQL).</summary>
    public string Invariant { get; set; } = "Npgsql";

    /// <summary>Session storage: <c>Memory</c> (default; lost when the silo holding it dies), <c>Redis</c> or <c>AdoNet</c>.</summary>
    public string Storage { get; set; } = "Memory";

    /// <summary>Connection string of session storage; defaults to <see cref="ConnectionString"/>.</summary>
    public string? StorageConnectionString { get; set; }

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>Development clustering: silo port of the primary silo every silo joins through.</summary>
    public int PrimarySiloPort { get; set; } = 11111;

    /// <summary>How long a silo waits for a liveness probe's answer.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes after which a silo suspects another.</summary>
    public int MissedProbesLimit { get; set; } = 2;

    public string ClusterId { get; set; } = "infermesh";

    public string ServiceId { get; set; } = "infermesh";
}
