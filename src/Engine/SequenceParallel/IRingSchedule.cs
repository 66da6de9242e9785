namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// How a ring computes one layer's attention once every member holds its rotated queries, keys and values: on return
/// each member's <see cref="RingMember.AttentionOutput"/> is its queries' attention over the whole prompt.
/// </summary>
public interface IRingSchedule
{
    string Name { get; }

    void Attend(IReadOnlyList<RingMember> members, int layer, IRingTransport transport);
}
