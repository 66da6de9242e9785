namespace InferMesh.Gateway.Requests;

/// <summary>One entry of a chat request's <c>documents</c>: a text, or the id of a chunk registered before.</summary>
/// <param name="Text">The document's text, for a string entry.</param>
/// <param name="ChunkId">The chunk id, for an <c>{"id": ...}</c> entry.</param>
/// <param name="Param">Where it was in the request (<c>documents[i]</c>), for error messages.</param>
public sealed record DocumentReference(string? Text, string? ChunkId, string Param);
