using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using InferMesh.Cli.Commands;

namespace InferMesh.Cli.Cluster;

/// <summary>
/// A <c>ring-silo</c> child process of this executable (re-launched with the same runtime): its output is echoed to
/// our standard error with a <c>[silo i]</c> prefix, it is ready when it prints its ready line, and it is stopped by
/// closing its standard input (killed by its process id if it does not exit).
/// </summary>
internal sealed class RingSiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RingSiloProcess(int index, IEnumerable<string> arguments)
    {
        Index = index;
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this executable to start silo processes");
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location); // run as `dotnet infermesh.dll`
        }

        info.ArgumentList.Add(RingSiloCommand.Name);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"silo process {Index} exited with code {_process.ExitCode} before it was ready (see its [silo {Index}] output above)"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Index { get; }

    public int ProcessId => _process.Id;

    public static RingSiloProcess Start(int index, IEnumerable<string> arguments) => new(index, arguments);

    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _ready.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"silo process {Index} was not ready after {timeout.TotalSeconds:F0} s (loading the model or joining the cluster); see its [silo {Index}] output");
        }
    }

    /// <summary>Free TCP ports on the loopback interface (bound to port 0, then released).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var l in listeners)
            {
                l.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners)
            {
                l.Stop();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line == RingSiloCommand.ReadyLine)
        {
            _ready.TrySetResult();
            return;
        }

        Console.Error.WriteLine($"[silo {Index}] {line}");
    }
}
