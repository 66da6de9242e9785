namespace InferMesh.Gateway.Requests;

/// <summary>One prompt of a legacy completions request: text, or token ids (then <see cref="Text"/> is empty).</summary>
public sealed record CompletionPrompt(string Text, IReadOnlyList<int>? TokenIds = null);
