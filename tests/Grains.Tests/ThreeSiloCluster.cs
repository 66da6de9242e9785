using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.Silo.Engines;
using InferMesh.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace InferMesh.Grains.Tests;

/// <summary>
/// Three in-process silos wired like the real silo host (engines loaded by EngineStartup on the CPU from the golden
/// tiny-llama, the serving grains, load reports), with session storage that outlives a killed silo and fast failure
/// detection so a killed silo is declared dead within seconds.
/// </summary>
public sealed class ThreeSiloCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await ReportLoadsAsync();
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Makes every silo report its load now, so placement sees all three.</summary>
    public async Task ReportLoadsAsync()
    {
        foreach (var silo in Cluster.Silos)
        {
            await Services(silo).GetRequiredService<LoadReporter>().ReportNowAsync();
        }
    }

    public SiloHandle SiloOf(string parsableAddress) =>
        Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == parsableAddress);

    public LocalEngine EngineOf(SiloHandle silo) => Services(silo).GetRequiredService<LocalEngines>().Find(GoldenModel.Name)!;

    public static IServiceProvider Services(SiloHandle silo) => ((InProcessSiloHandle)silo).SiloHost.Services;

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddInferMeshGrains();
            silo.Services.AddInferMeshSiloServices(new ConfigurationBuilder().Build());
            silo.Services.Configure<SiloModelOptions>(o =>
            {
                o.Models = [GoldenModel.Directory()];
                o.CpuThreads = 1;
                o.KvCacheBlocks = 256;
            });
            silo.Services.Configure<ServingOptions>(o => o.LoadReportInterval = TimeSpan.FromMilliseconds(250));
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Sessions, (_, _) => SharedGrainStorage.Instance);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client) =>
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
    }
}
