using InferMesh.Contracts;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.Grains.SequenceParallel;
using InferMesh.Silo.Engines;
using InferMesh.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;

namespace InferMesh.Grains.Tests.SequenceParallel;

/// <summary>
/// Three in-process silos wired like the real silo host, each with CPU engines for the golden tiny-llama and the
/// sliding-window tiny-mistral-sw8: the silos are the ring members. Sessions route prompts of
/// <see cref="RingThreshold"/> tokens or more to a ring. Each silo's view of the directory is refreshed when the
/// cluster starts and when a test asks (<see cref="RefreshViewsAsync"/>), not on a timer, so a test may edit it.
/// </summary>
public sealed class RingCluster : IAsyncLifetime
{
    public const int RingThreshold = 200;

    public static readonly string[] Models = ["tiny-llama", "tiny-mistral-sw8"];

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await RefreshViewsAsync();
    }

    /// <summary>Every silo reports now and reloads its view of the directory (instead of waiting for the interval).</summary>
    public async Task RefreshViewsAsync()
    {
        // Two passes: in the first, a silo reloads its view right after its own report, while the other silos' last
        // reports may be older than the directory keeps (it drops them, and the view then lists no ring candidates:
        // seen on a loaded CI machine); in the second every report is fresh.
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var silo in Cluster.Silos)
            {
                await Services(silo).GetRequiredService<LoadReporter>().ReportNowAsync();
            }
        }
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Shard key of a model's engine on the given silo (0, 1, 2 in deployment order).</summary>
    public string ShardKey(int silo, string model = "tiny-llama")
    {
        var handle = Cluster.Silos[silo];
        var local = EngineOf(handle, model);
        return new ModelShardKey(model, local.FirstLayer, local.LastLayer, handle.SiloAddress.ToParsableString(), local.Device).ToString();
    }

    public LocalEngine EngineOf(SiloHandle silo, string model = "tiny-llama") => Services(silo).GetRequiredService<LocalEngines>().Find(model)!;

    public LocalEngine EngineOf(string parsableSilo, string model = "tiny-llama") =>
        EngineOf(Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == parsableSilo), model);

    /// <summary>Adds a replica to every silo's view of the directory until the next <see cref="RefreshViewsAsync"/>.</summary>
    public void ListInEveryView(ModelReplicaLoad replica)
    {
        foreach (var silo in Cluster.Silos)
        {
            var view = Services(silo).GetRequiredService<ClusterLoadView>();
            view.Update([.. view.Replicas, replica]);
        }
    }

    public long RingsSucceeded => Cluster.Silos.Sum(s => Services(s).GetRequiredService<RingPrefillCounters>().Succeeded);

    public long RingsFailed => Cluster.Silos.Sum(s => Services(s).GetRequiredService<RingPrefillCounters>().Failed);

    public string? LastRingFailure => Cluster.Silos.Select(s => Services(s).GetRequiredService<RingPrefillCounters>().LastFailure).LastOrDefault(f => f is not null);

    public static IServiceProvider Services(SiloHandle silo) => ((InProcessSiloHandle)silo).SiloHost.Services;

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddInferMeshGrains();
            silo.Services.AddInferMeshSiloServices(new ConfigurationBuilder().Build());
            silo.Services.Configure<SiloModelOptions>(o =>
            {
                o.Models = [.. Models.Select(GoldenModel.Directory)];
                o.CpuThreads = 1;
                o.KvCacheBlocks = 256;
            });
            silo.Services.Configure<ServingOptions>(o =>
            {
                o.LoadReportInterval = TimeSpan.FromHours(1); // views change only when a test refreshes them
                o.RingCandidateStaleAfter = TimeSpan.FromHours(1); // so a slow step on a loaded CI machine never ages them out
                o.RingPrefillMinTokens = RingThreshold;
            });
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Sessions, (_, _) => SharedGrainStorage.Instance);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
        }
    }
}
