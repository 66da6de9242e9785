namespace InferMesh.Contracts;

/// <summary>One alternative token at a position (OpenAI's top_logprobs entry).</summary>
[GenerateSerializer, Immutable]
public sealed record TopLogprobInfo([property: Id(0)] string Token, [property: Id(1)] float Logprob, [property: Id(2)] byte[] Bytes);
