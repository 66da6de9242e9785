namespace InferMesh.Engine.Tokenization;

/// <summary>A BPE <c>model</c> of tokenizer.json: byte-level (<see cref="ByteLevelBpeModel"/>) or over characters (<see cref="CharacterBpeModel"/>).</summary>
internal interface IBpeModel
{
    /// <summary>Token string to id.</summary>
    Dictionary<string, int> Vocab { get; }

    /// <summary>Encodes one pre-tokenized word, appending its ids.</summary>
    void EncodeWord(ReadOnlySpan<char> word, List<int> ids);
}
