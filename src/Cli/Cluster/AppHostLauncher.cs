using System.Diagnostics;
using System.Runtime.InteropServices;

namespace InferMesh.Cli.Cluster;

/// <summary>
/// Builds and runs src/AppHost as its own process (the same as <c>dotnet run --project src/AppHost</c>, but signals
/// reach the app host itself: SIGTERM to <c>dotnet run</c> would leave it running). Stopping sends it SIGTERM, and it
/// stops every silo, the gateway and redis-server.
/// </summary>
internal sealed partial class AppHostLauncher(string sourceRoot) : IAsyncDisposable
{
    public const int DashboardPort = 15180;

    private Process? _process;

    public string ProjectDirectory => Path.Combine(sourceRoot, "src", "AppHost");

    public async Task BuildAsync(CancellationToken cancellationToken)
    {
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", ProjectDirectory, "-c", "Release", "--nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start 'dotnet build'; is the .NET SDK on PATH?");
        var output = build.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = build.StandardError.ReadToEndAsync(cancellationToken);
        await build.WaitForExitAsync(cancellationToken);
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"building {ProjectDirectory} failed:\n{await output}{await errors}");
        }
    }

    /// <summary>Starts the app host with <paramref name="parameters"/> as <c>--Parameters:NAME=VALUE</c>; its output goes to ours.</summary>
    public void Start(IReadOnlyDictionary<string, string> parameters)
    {
        var executable = Path.Combine(ProjectDirectory, "bin", "Release", "net10.0", "InferMesh.AppHost");
        var start = new ProcessStartInfo(File.Exists(executable) ? executable : "dotnet")
        {
            WorkingDirectory = ProjectDirectory,
            UseShellExecute = false,
        };
        if (!File.Exists(executable))
        {
            start.ArgumentList.Add(executable + ".dll");
        }

        foreach (var (name, value) in parameters)
        {
            start.ArgumentList.Add($"--Parameters:{name}={value}");
        }

        // What the http launch profile sets when the app host runs under `dotnet run`.
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{DashboardPort}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://localhost:19180";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://localhost:20180";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process?.WaitForExitAsync(cancellationToken) ?? Task.CompletedTask;

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>Asks the app host to shut the cluster down (SIGTERM), killing it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return;
        }

        _ = Kill(process.Id, Sigterm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process?.Dispose();
    }

    private const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
