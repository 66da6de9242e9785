using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace InferMesh.Grains.Tests;

/// <summary>Two in-process silos whose engines only report counters: for directory, placement and error paths.</summary>
public sealed class StubCluster : IAsyncLifetime
{
    public const string Model = "stub-model";

    public TestCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        foreach (var silo in Cluster.Silos)
        {
            await ((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredService<LoadReporter>().ReportNowAsync();
        }
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var engines = new LocalEngines();
            engines.Add(new LocalEngine(new StubEngine(Model, totalBlocks: 100, usedBlocks: 25), "cpu", layerCount: 4));
            silo.Services.AddSingleton(engines);
            silo.AddMemoryGrainStorage(StorageNames.Sessions);
            silo.AddInferMeshGrains();
        }
    }
}
