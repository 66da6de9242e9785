using System.Net;
using System.Net.Sockets;
using InferMesh.Engine.Serving;
using InferMesh.Gateway.Hosting;
using InferMesh.Grains;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// The real gateway on a real Kestrel port, with one Orleans silo in the same process serving <see cref="Engine"/>.
/// API keys: <c>sk-alice</c> → tenant alice, <c>sk-bob</c> → tenant bob.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string AliceKey = "sk-alice";
    public const string BobKey = "sk-bob";

    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, IInferenceEngine engine, Uri baseAddress)
    {
        _app = app;
        Engine = engine;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public IInferenceEngine Engine { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client with no default headers: each test sends exactly what it means to.</summary>
    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<GatewayHost> StartAsync(IInferenceEngine engine, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync([engine], settings);

    /// <summary>One silo serving every engine of <paramref name="engines"/> (each its own model); <see cref="Engine"/> is the first.</summary>
    public static async Task<GatewayHost> StartAsync(IReadOnlyList<IInferenceEngine> engines, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var config = new Dictionary<string, string?>
        {
            [$"{GatewayOptions.Section}:ApiKeys:{AliceKey}"] = "alice",
            [$"{GatewayOptions.Section}:ApiKeys:{BobKey}"] = "bob",
            [$"{GatewayOptions.Section}:MaxRequestBodyBytes"] = "65536",
            [$"{GatewayOptions.Section}:MaxResponseSchemaBytes"] = "16384", // below the body limit, so that limit can be hit
            [$"{GatewayOptions.Section}:MaxTokensLimit"] = "8192",
            [$"{GatewayOptions.Section}:FailoverRetryBudget"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.AddServiceDefaults();
        builder.Services.AddInferMeshGatewayServices(builder.Configuration);

        var local = new LocalEngines();
        foreach (var engine in engines)
        {
            local.Add(new LocalEngine(engine, "cpu", layerCount: 2));
        }

        builder.Services.AddSingleton(local);
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: $"gw-test-{siloPort}", clusterId: $"gw-test-{siloPort}")
            .AddMemoryGrainStorage(StorageNames.Sessions)
            .AddInferMeshGrains());

        var app = builder.Build();
        app.MapInferMeshGateway();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        await app.Services.GetRequiredService<LoadReporter>().ReportNowAsync();
        return new GatewayHost(app, engines[0], new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
