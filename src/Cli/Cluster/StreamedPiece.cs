namespace InferMesh.Cli.Cluster;

/// <summary>A piece of a streamed reply: text, or (on the usage chunk) the token counts.</summary>
internal sealed record StreamedPiece(string Text, int? CompletionTokens, int? PromptTokens, int? CachedPromptTokens);
