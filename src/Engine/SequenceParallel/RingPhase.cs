using System.Runtime.ExceptionServices;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Runs one phase of ring work (every member's share of a layer step) on one thread per member when the members have
/// their own backends. A device's launch queue is finite: one thread enqueuing thousands of kernels for member 0
/// blocks until member 0's GPU has drained most of them, and member 1's GPU would idle meanwhile; a thread per member
/// keeps every device fed. Transfers between members stay on the caller's thread, between phases.
/// </summary>
internal static class RingPhase
{
    public static void ForEach(IReadOnlyList<RingMember> members, Action<RingMember> work)
    {
        if (members.Count < 2 || members.Select(m => m.Backend).Distinct().Count() < members.Count)
        {
            foreach (var m in members)
            {
                work(m);
            }

            return;
        }

        try
        {
            Parallel.For(0, members.Count, new ParallelOptions { MaxDegreeOfParallelism = members.Count }, i => work(members[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }
}
