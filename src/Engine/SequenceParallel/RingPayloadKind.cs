namespace InferMesh.Engine.SequenceParallel;

/// <summary>What a ring message carries; with the layer and step it names the message (see <see cref="RingTag"/>).</summary>
public enum RingPayloadKind
{
    /// <summary>A block of rotated queries travelling forward (TokenRing).</summary>
    Queries,

    /// <summary>The absolute positions of a query block (its causal mask on the holder).</summary>
    QueryPositions,

    /// <summary>A partial attention output going back to the queries' owner (TokenRing).</summary>
    PartialOutput,

    /// <summary>The log-sum-exp of a partial output, for the exact merge.</summary>
    PartialLse,

    /// <summary>A block of rotated keys travelling forward (one-way ring).</summary>
    Keys,

    /// <summary>The block of values that goes with <see cref="Keys"/>.</summary>
    Values,

    /// <summary>The absolute positions of a key/value block.</summary>
    KeyPositions,

    /// <summary>A member's keys of one layer, sent to the member that will decode (KV gather after prefill).</summary>
    GatherKeys,

    /// <summary>A member's values of one layer, sent to the member that will decode.</summary>
    GatherValues,
}
