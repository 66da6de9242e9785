namespace InferMesh.Engine.SequenceParallel;

/// <summary>The schedules the cost model compares.</summary>
public enum RingScheduleKind
{
    /// <summary>Queries forward, partial out + LSE back (<see cref="TokenRingSchedule"/>).</summary>
    TokenRing,

    /// <summary>Key/value blocks rotate one way (<see cref="OneWayRingSchedule"/>).</summary>
    OneWayRing,
}
