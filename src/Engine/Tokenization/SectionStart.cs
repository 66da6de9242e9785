namespace InferMesh.Engine.Tokenization;

/// <summary>Where a piece of text handed to the pre-tokenizer begins, which decides whether a prefix ("▁") is prepended.</summary>
internal enum SectionStart
{
    /// <summary>At the start of the text being encoded.</summary>
    Text,

    /// <summary>Right after an added token.</summary>
    AfterAddedToken,

    /// <summary>
    /// At the start of text that continues an earlier encoding (a chat turn's suffix after the stored history): no prefix,
    /// since in the whole text this piece follows the history with nothing between.
    /// </summary>
    Continuation,
}
