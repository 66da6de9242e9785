using System.CommandLine;
using System.Net;
using InferMesh.Engine.Serving;
using InferMesh.Grains;
using InferMesh.Grains.Engines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh ring-silo</c> (hidden): one silo process of <c>bench-ring-cluster</c>, which launches this same
/// executable once per silo — so the self-contained CLI is all a machine needs. It loads one engine, joins the
/// development (localhost) cluster through the fixed primary silo, prints <see cref="ReadyLine"/> and serves until
/// its standard input closes.
/// </summary>
internal static class RingSiloCommand
{
    public const string Name = "ring-silo";

    public const string ReadyLine = "infermesh ring-silo ready";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder", Required = true };
        var device = new Option<string>("--device") { Description = "cpu or cuda:N", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var kvTokens = new Option<int>("--kv-tokens") { Description = "tokens of KV cache this engine holds", Required = true };
        var siloPort = new Option<int>("--silo-port") { Required = true };
        var gatewayPort = new Option<int>("--gateway-port") { Required = true };
        var primaryPort = new Option<int>("--primary-port") { Description = "silo port of the primary silo", Required = true };
        var clusterId = new Option<string>("--cluster-id") { Required = true };
        var command = new Command(Name, "one silo process of bench-ring-cluster (started by it)") { model, device, threads, kvTokens, siloPort, gatewayPort, primaryPort, clusterId };
        command.Hidden = true;
        command.SetAction(async (result, ct) =>
        {
            var tokens = result.GetValue(kvTokens);
            var deviceName = result.GetValue(device)!;
            await using var engine = InferenceEngine.Load(result.GetValue(model)!, new EngineOptions
            {
                Device = deviceName,
                Threads = result.GetValue(threads),
                KvCacheBlocks = (tokens + 15) / 16,
                MaxContextLength = tokens,
                MaxSequences = 4,
            });
            var engines = new LocalEngines();
            engines.Add(new LocalEngine(engine, deviceName, engine.Folder.Config.NumHiddenLayers));

            var builder = Host.CreateApplicationBuilder([]);
            builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("InferMesh", LogLevel.Information);
            builder.Services.AddSingleton(engines);
            var id = result.GetValue(clusterId)!;
            builder.UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(result.GetValue(siloPort), result.GetValue(gatewayPort), new IPEndPoint(IPAddress.Loopback, result.GetValue(primaryPort)), id, id);
                silo.AddInferMeshGrains();
                silo.AddMemoryGrainStorage(StorageNames.Sessions);
                silo.Services.Configure<ServingOptions>(o => o.RingPrefillMinTokens = 0); // the benchmark drives its rings itself
            });
            using var host = builder.Build();
            await host.StartAsync(ct);
            Console.WriteLine(ReadyLine);
            await Task.Run(() =>
            {
                while (Console.In.ReadLine() is not null)
                {
                }
            }, ct);
            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
