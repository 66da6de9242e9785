namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// Names one message of a ring: the layer, the step of that layer's schedule (1..N−1; 0 for the KV gather) and what
/// it carries. With the sending member it is unique within one prefill, so messages may arrive in any order.
/// </summary>
public readonly record struct RingTag(int Layer, int Step, RingPayloadKind Kind)
{
    public override string ToString() => $"{Kind} of layer {Layer}, step {Step}";
}
