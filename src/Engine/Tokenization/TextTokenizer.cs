namespace InferMesh.Engine.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (byte-level BPE with added/special tokens) loaded through Microsoft.ML.Tokenizers.
/// CONTRACT ONLY — implementation lands with the tokenizer work.
/// </summary>
public sealed class TextTokenizer
{
    private TextTokenizer()
    {
    }

    public int VocabSize => throw new NotImplementedException();

    public string? BosToken => throw new NotImplementedException();

    public int? BosTokenId => throw new NotImplementedException();

    public string? EosToken => throw new NotImplementedException();

    /// <summary>EOS ids from tokenizer_config.json (generation_config.json may add more; the model folder merges them).</summary>
    public IReadOnlyList<int> EosTokenIds => throw new NotImplementedException();

    /// <summary>Loads tokenizer.json and, when present beside it, tokenizer_config.json.</summary>
    public static TextTokenizer Load(string tokenizerJsonPath) => throw new NotImplementedException();

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false) => throw new NotImplementedException();

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false) => throw new NotImplementedException();

    public int? TokenToId(string token) => throw new NotImplementedException();

    public bool IsSpecial(int id) => throw new NotImplementedException();

    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => throw new NotImplementedException();
}
