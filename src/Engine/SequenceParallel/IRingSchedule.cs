namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// How one ring member takes part in one layer's attention once it holds its rotated queries, keys and values: on
/// return its <see cref="RingMember.AttentionOutput"/> is its queries' attention over the whole prompt. Every member
/// runs the same schedule on its own, exchanging blocks only through its <see cref="RingLink"/>, so members can live
/// in different processes. Schedules hold no state and may serve many members at once.
/// </summary>
public interface IRingSchedule
{
    string Name { get; }

    Task AttendAsync(RingMember member, int layer, RingLink link, CancellationToken cancellationToken);
}
