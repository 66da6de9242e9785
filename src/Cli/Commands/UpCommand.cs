using System.CommandLine;
using System.Runtime.InteropServices;
using InferMesh.Cli.Cluster;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh up</c>: runs the Aspire app host (silos, gateway, Redis when needed, dashboard) on this machine,
/// prints where everything is, and shuts every process down on Ctrl+C or SIGTERM.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "gateway port (the OpenAI-compatible API)", DefaultValueFactory = _ => 8080 };
        var silos = new Option<int>("--silos") { Description = "silo processes; more than one uses redis-server for clustering and sessions", DefaultValueFactory = _ => 1 };
        var model = new Option<string?>("--model", "-m") { Description = "Hugging Face model folder (default: the embedded model)" };
        var apiKey = new Option<string?>("--api-key") { Description = "require this Bearer key (tenant 'default'); default: open" };
        var redis = new Option<string>("--redis") { Description = "executable (redis-server on this machine) or container (Docker)", DefaultValueFactory = _ => "executable" };
        var command = new Command("up", "run the cluster on this machine: silos + gateway + dashboard (Ctrl+C stops it)") { port, silos, model, apiKey, redis };
        command.SetAction(async (result, ct) =>
        {
            var parameters = new Dictionary<string, string>
            {
                ["gateway-port"] = result.GetValue(port).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["silos"] = result.GetValue(silos).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["redis"] = result.GetValue(redis)!,
            };
            if (result.GetValue(model) is { Length: > 0 } dir)
            {
                parameters["model"] = Path.GetFullPath(dir);
            }

            if (result.GetValue(apiKey) is { Length: > 0 } key)
            {
                parameters["api-key"] = key;
            }

            return await RunAsync(parameters, result.GetValue(port), result.GetValue(apiKey), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(Dictionary<string, string> parameters, int port, string? apiKey, CancellationToken ct)
    {
        await using var appHost = new AppHostLauncher(SourceTree.Root());
        Console.Error.WriteLine($"[infermesh] building {appHost.ProjectDirectory} ...");
        await appHost.BuildAsync(ct);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        appHost.Start(parameters);
        var gateway = $"http://localhost:{port}";
        if (await WaitForGatewayAsync(gateway, appHost, stop.Token))
        {
            var auth = apiKey is null ? "" : $" -H 'Authorization: Bearer {apiKey}'";
            string modelId;
            using (var http = new HttpClient())
            {
                modelId = await GatewayChatCommand.FirstModelAsync(http, new Uri($"{gateway}/v1/"), apiKey, stop.Token);
            }

            Console.WriteLine();
            Console.WriteLine($"  gateway    {gateway}/v1   (OpenAI-compatible; models: {gateway}/v1/models)");
            Console.WriteLine($"  dashboard  http://localhost:{AppHostLauncher.DashboardPort}   (resources, logs, traces, metrics)");
            Console.WriteLine($"  metrics    {gateway}/metrics");
            Console.WriteLine($"  try        curl -s {gateway}/v1/chat/completions -H 'Content-Type: application/json'{auth} -H 'X-Session-Id: demo' \\");
            Console.WriteLine($"               -d '{{\"model\":\"{modelId}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}]}}'");
            Console.WriteLine("  Ctrl+C stops the cluster.");
        }

        try
        {
            await appHost.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("[infermesh] stopping the cluster ...");
        }

        await appHost.StopAsync(TimeSpan.FromSeconds(30));
        return 0;
    }

    private static async Task<bool> WaitForGatewayAsync(string gateway, AppHostLauncher appHost, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested && !appHost.HasExited)
        {
            try
            {
                using var response = await http.GetAsync($"{gateway}/healthz", ct);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not up yet
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // slow answer; ask again
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        if (!ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"[infermesh] the gateway at {gateway} did not become healthy; see the dashboard at http://localhost:{AppHostLauncher.DashboardPort} for the resources' logs");
        }

        return false;
    }
}
