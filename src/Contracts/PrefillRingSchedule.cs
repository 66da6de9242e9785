namespace InferMesh.Contracts;

/// <summary>How a prefill ring computes attention across its members.</summary>
public enum PrefillRingSchedule
{
    /// <summary>TokenRing: query blocks travel forward, partial out + LSE travel back (both link directions busy).</summary>
    TokenRing,

    /// <summary>The one-way ring (Ring Attention): key/value blocks rotate in one direction.</summary>
    OneWayRing,
}
