using InferMesh.Contracts;
using InferMesh.Grains.ChunkCache;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.Silo.Engines;
using InferMesh.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace InferMesh.Grains.Tests;

/// <summary>
/// Two in-process silos wired like the real silo host, with CPU engines on the golden tiny-llama whose chunk stores
/// are tiny — one document chunk fits on the "device" and one in host memory, no disk — so storing a third chunk
/// moves and evicts the older ones.
/// </summary>
public sealed class ChunkCacheCluster : IAsyncLifetime
{
    /// <summary>Chunk store budget per tier: bytes of one chunk of <see cref="MaxChunkTokens"/> tokens (2 layers × K and V × 32 floats per token).</summary>
    public const long TierBytes = MaxChunkTokens * 2 * 2 * 32 * sizeof(float);

    /// <summary>Longest document the tests use, in tokens; two of more than half this exceed a tier.</summary>
    public const int MaxChunkTokens = 64;

    /// <summary>How often silos report every chunk they hold again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await ReportLoadsAsync();
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    public async Task ReportLoadsAsync()
    {
        foreach (var silo in Cluster.Silos)
        {
            await ThreeSiloCluster.Services(silo).GetRequiredService<LoadReporter>().ReportNowAsync();
        }
    }

    /// <summary>Sends every silo's pending chunk reports to the directory now.</summary>
    public async Task FlushChunkReportsAsync()
    {
        foreach (var silo in Cluster.GetActiveSilos())
        {
            await ThreeSiloCluster.Services(silo).GetRequiredService<ChunkReporter>().FlushAsync();
        }
    }

    public LocalEngine EngineOn(string parsableSilo) =>
        ThreeSiloCluster.Services(Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == parsableSilo)).GetRequiredService<LocalEngines>().Find(GoldenModel.Name)!;

    public IReadOnlySet<string> LiveSilos => Cluster.GetActiveSilos().Select(s => s.SiloAddress.ToParsableString()).ToHashSet();

    public IChunkCacheGrain Directory(string cacheNamespace, string text) =>
        Client.GetGrain<IChunkCacheGrain>(ChunkKey.ForText(GoldenModel.Name, cacheNamespace, text).ToString());

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
                o.ChunkCacheDeviceBytes = TierBytes;
                o.ChunkCacheHostBytes = TierBytes;
            });
            silo.Services.Configure<ServingOptions>(o => o.LoadReportInterval = TimeSpan.FromMilliseconds(250));
            silo.Services.Configure<ChunkDirectoryOptions>(o =>
            {
                o.ReportDelay = TimeSpan.FromMilliseconds(10);
                o.RefreshInterval = RefreshInterval;
            });
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Sessions, (_, _) => SharedGrainStorage.Instance);
        }
    }
}
