using System.Collections.Concurrent;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Runs asynchronous ring members cooperatively on the calling thread: every continuation is queued here and run in
/// turn, so members of one process never use a device at the same time (several members may share one backend) and
/// a member waiting for a block simply lets the next one run, as one loop over all members would.
/// </summary>
internal sealed class RingThreadContext : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

    public static T Run<T>(Func<Task<T>> body)
    {
        var previous = Current;
        var context = new RingThreadContext();
        SetSynchronizationContext(context);
        try
        {
            var task = body();
            task.ContinueWith(_ => context._queue.CompleteAdding(), TaskScheduler.Default);
            foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
            {
                callback(state);
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
            context._queue.Dispose();
        }
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        try
        {
            _queue.Add((d, state));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The run is over (a continuation after the result, e.g. of a send nobody awaits): run it on the pool.
            ThreadPool.QueueUserWorkItem(s => d(s), state);
        }
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("ring members only post continuations.");
}
