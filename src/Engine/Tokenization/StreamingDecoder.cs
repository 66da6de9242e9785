namespace InferMesh.Engine.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas that never split a UTF-8 character.
/// CONTRACT ONLY — implementation lands with the tokenizer work.
/// </summary>
public sealed class StreamingDecoder
{
    /// <summary>Adds one token; returns the text that became complete (possibly empty).</summary>
    public string Push(int tokenId) => throw new NotImplementedException();

    /// <summary>Returns whatever is still held back (replacing incomplete bytes with U+FFFD).</summary>
    public string Flush() => throw new NotImplementedException();
}
