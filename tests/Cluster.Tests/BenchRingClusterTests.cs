using System.Diagnostics;

namespace InferMesh.Cluster.Tests;

/// <summary>
/// <c>infermesh bench-ring-cluster</c> on the CPU with a golden model: the CLI starts two silo processes of itself,
/// prefills through a TokenRing and a one-way ring of them, and reports logits within 1e-4 of single-process
/// prefill and the same greedy continuation after the KV gather (the device run's command, checked here on CPU).
/// </summary>
public sealed class BenchRingClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_silo_processes_prefill_one_prompt_through_rings_like_one_process()
    {
        var root = RepoRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var cli = Path.Combine(root, "src", "Cli", "bin", configuration, "net10.0", "infermesh.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: build src/Cli ({configuration}) first");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "bench-ring-cluster", "--model", Path.Combine(root, "tests", "fixtures", "golden", "tiny-mistral-sw8"), "--silos", "2", "--tokens", "333", "--threads", "1", "--rtt-rounds", "10", "--warmup-runs", "0", "--max-logit-delta", "1e-4" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(3), Ct);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout;
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        TestContext.Current.TestOutputHelper?.WriteLine(await stderr);
        Assert.Equal(0, process.ExitCode);
        Assert.Matches(@"\| TokenRing \| [0-9.]+ \| [0-9.]+× \| [0-9.]+ MB \|.*\| same \| 8/8 same \|", output);
        Assert.Matches(@"\| OneWayRing \| [0-9.]+ \|.*\| same \| 8/8 same \|", output);
        Assert.Contains("Cross-process merge round", output);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InferMesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"InferMesh.sln not found above {AppContext.BaseDirectory}");
    }
}
