namespace InferMesh.Engine.Tokenization;

/// <summary>How Metaspace prefixes a piece with the replacement character (HF PrependScheme).</summary>
internal enum PrependScheme
{
    /// <summary>Every piece not already starting with the replacement.</summary>
    Always,

    /// <summary>Only the piece at the very start of the text (not one after an added token).</summary>
    First,

    Never,
}
