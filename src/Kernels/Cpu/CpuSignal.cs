namespace InferMesh.Kernels.Cpu;

/// <summary>
/// A manual-reset event for the worker pool that never allocates after construction (ManualResetEventSlim creates
/// its lock object lazily the first time a thread really blocks, which showed up as a stray 24-byte allocation in a
/// later decode step). Waiters spin briefly, then sleep on a monitor whose lock object exists from the start.
/// </summary>
internal sealed class CpuSignal
{
    private readonly object _lock = new();
    private volatile bool _set;

    public void Set()
    {
        lock (_lock)
        {
            _set = true;
            Monitor.PulseAll(_lock);
        }
    }

    public void Reset() => _set = false;

    public void Wait()
    {
        var spinner = default(SpinWait);
        while (!_set && !spinner.NextSpinWillYield)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (_set)
        {
            return;
        }

        lock (_lock)
        {
            while (!_set)
            {
                Monitor.Wait(_lock);
            }
        }
    }
}
