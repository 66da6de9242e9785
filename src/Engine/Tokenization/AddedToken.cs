namespace InferMesh.Engine.Tokenization;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c> (HF tokenizers' AddedToken).</summary>
internal sealed record AddedToken(
    int Id,
    string Content,
    bool SingleWord,
    bool LeftStrip,
    bool RightStrip,
    bool Normalized,
    bool Special);
