using InferMesh.Contracts;
using InferMesh.Grains.Engines;
using InferMesh.Grains.Shards;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace InferMesh.Grains.Directory;

/// <summary>
/// Once the silo is active, reports this silo's engines and their load to the cluster directory every interval and
/// pulls everybody's back into <see cref="ClusterLoadView"/>.
/// </summary>
public sealed partial class LoadReporter(
    LocalEngines engines,
    ClusterLoadView view,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<ServingOptions> options,
    ILogger<LoadReporter> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LoadReporter), ServiceLifecycleStage.Active, OnStart, OnStop);

    /// <summary>Reports once and refreshes the view now (also used by tests to skip the wait).</summary>
    public async Task ReportNowAsync()
    {
        var self = silo.SiloAddress.ToParsableString();
        var replicas = engines.All.Select(e => ReplicaLoads.Of(e, ReplicaLoads.ShardKeyOf(e, self), self)).ToArray();
        var directory = grains.GetGrain<IClusterDirectoryGrain>(0);
        await directory.Report(new SiloLoadReport(self, replicas));
        view.Update(await directory.GetReplicas());
    }

    private Task OnStart(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await ReportNowAsync();
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                LogReportFailed(ex);
            }

            try
            {
                await Task.Delay(options.Value.LoadReportInterval, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report load to the cluster directory; retrying next interval")]
    private partial void LogReportFailed(Exception ex);
}
