namespace InferMesh.Engine.SequenceParallel;

/// <summary>Predicted prefill of one prompt.</summary>
/// <param name="Seconds">Predicted prefill time.</param>
/// <param name="ExposedTransferSeconds">Part of <paramref name="Seconds"/> spent waiting for transfers that compute did not hide.</param>
/// <param name="BytesSentPerMember">Bytes each member sends over the whole prefill.</param>
/// <param name="Fits">Whether weights + the member's KV fit in device memory.</param>
public sealed record RingPrediction(double Seconds, double ExposedTransferSeconds, double BytesSentPerMember, bool Fits);
