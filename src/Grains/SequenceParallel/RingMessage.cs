namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// One chunk of a ring tensor between silos: bytes [Offset, Offset + Data.Length) of a payload of TotalBytes, with
/// the tag (layer, step, kind) and shape that name and type it. Kind and Type carry the Engine's RingPayloadKind and
/// the Kernels' DType as numbers, so this message has no dependency beyond the grains.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RingMessage(
    [property: Id(0)] int From,
    [property: Id(1)] int Layer,
    [property: Id(2)] int Step,
    [property: Id(3)] int Kind,
    [property: Id(4)] int Type,
    [property: Id(5)] int Rows,
    [property: Id(6)] int Cols,
    [property: Id(7)] int TotalBytes,
    [property: Id(8)] int Offset,
    [property: Id(9)] byte[] Data);
