using System.Net;
using InferMesh.Grains;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using StackExchange.Redis;

namespace InferMesh.Silo.Hosting;

/// <summary>Applies <see cref="ClusteringSettings"/> to a silo: clustering provider and session grain storage.</summary>
public static class SiloClustering
{
    public static ISiloBuilder ApplyClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var settings = configuration.GetSection(ClusteringSettings.Section).Get<ClusteringSettings>() ?? new ClusteringSettings();
        var provider = configuration["Orleans:Clustering:ProviderType"];
        if (string.IsNullOrEmpty(provider))
        {
            ApplyMembership(silo, settings);
        }
        else if (provider == "Development")
        {
            // Aspire's development clustering: one machine, so advertise loopback, where the gateway dials.
            silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
        }

        // A dead silo holds sessions whose next turns wait until the cluster declares it dead: probe often, so that
        // takes seconds rather than a minute (Orleans' defaults suit large clusters that fear false positives).
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = settings.ProbeTimeout;
            o.NumMissedProbesLimit = settings.MissedProbesLimit;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        });

        if (string.IsNullOrEmpty(configuration[$"Orleans:GrainStorage:{StorageNames.Sessions}:ProviderType"]))
        {
            ApplyStorage(silo, settings);
        }

        return silo;
    }

    private static void ApplyMembership(ISiloBuilder silo, ClusteringSettings s)
    {
        switch (s.Provider.ToUpperInvariant())
        {
            case "DEVELOPMENT":
                silo.UseLocalhostClustering(s.SiloPort, s.GatewayPort, new IPEndPoint(IPAddress.Loopback, s.PrimarySiloPort), s.ServiceId, s.ClusterId);
                break;
            case "REDIS":
                silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(Required(s.ConnectionString, "ConnectionString")));
                ApplyIds(silo, s);
                break;
            case "ADONET":
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = s.Invariant;
                    o.ConnectionString = Required(s.ConnectionString, "ConnectionString");
                });
                ApplyIds(silo, s);
                break;
            default:
                throw new InvalidOperationException($"{ClusteringSettings.Section}:Provider is '{s.Provider}'; use Development, Redis or AdoNet");
        }
    }

    private static void ApplyStorage(ISiloBuilder silo, ClusteringSettings s)
    {
        var connection = s.StorageConnectionString ?? s.ConnectionString;
        switch (s.Storage.ToUpperInvariant())
        {
            case "MEMORY":
                silo.AddMemoryGrainStorage(StorageNames.Sessions);
                break;
            case "REDIS":
                silo.AddRedisGrainStorage(StorageNames.Sessions, o => o.ConfigurationOptions = ConfigurationOptions.Parse(Required(connection, "StorageConnectionString")));
                break;
            case "ADONET":
                silo.AddAdoNetGrainStorage(StorageNames.Sessions, o =>
                {
                    o.Invariant = s.Invariant;
                    o.ConnectionString = Required(connection, "StorageConnectionString");
                });
                break;
            default:
                throw new InvalidOperationException($"{ClusteringSettings.Section}:Storage is '{s.Storage}'; use Memory, Redis or AdoNet");
        }
    }

    private static void ApplyIds(ISiloBuilder silo, ClusteringSettings s)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = s.ClusterId;
            o.ServiceId = s.ServiceId;
        });
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = s.SiloPort;
            o.GatewayPort = s.GatewayPort;
        });
    }

    private static string Required(string? value, string name) =>
        !string.IsNullOrWhiteSpace(value) ? value : throw new InvalidOperationException($"{ClusteringSettings.Section}:{name} is required for this provider");
}
