namespace InferMesh.Contracts;

/// <summary>A generated token's text, log-probability and UTF-8 bytes, plus the most likely alternatives (OpenAI's logprobs.content entry).</summary>
[GenerateSerializer, Immutable]
public sealed record TokenLogprobInfo(
    [property: Id(0)] string Token,
    [property: Id(1)] float Logprob,
    [property: Id(2)] byte[] Bytes,
    [property: Id(3)] IReadOnlyList<TopLogprobInfo> TopLogprobs);
