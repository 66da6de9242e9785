namespace InferMesh.Engine.Synthetic;

/// <summary>
/// Architecture of a real model family member, used to write random-weight models of real shape for benchmarks
/// (no pretrained weights can be downloaded here). Numbers are those of the published config.json files.
/// </summary>
public sealed record ModelShape
{
    public required string Name { get; init; }

    public required string ModelType { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int Layers { get; init; }

    public required int Heads { get; init; }

    public required int KvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public required bool TiedEmbeddings { get; init; }

    public required double RopeTheta { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    public double RmsNormEps { get; init; } = 1e-5;

    /// <summary>Llama 3 rope scaling (factor, low, high, original context), or null for plain RoPE.</summary>
    public (double Factor, double Low, double High, int Original)? Llama3Rope { get; init; }

    public bool QkvBias { get; init; }

    public long ParameterCount
    {
        get
        {
            long h = HiddenSize, q = Heads * HeadDim, kv = KvHeads * HeadDim;
            var perLayer = (h * q) + (2 * h * kv) + (q * h) + (3 * h * IntermediateSize) + (2 * h) + (QkvBias ? q + (2 * kv) : 0);
            return (Layers * perLayer) + ((long)VocabSize * h * (TiedEmbeddings ? 1 : 2)) + h;
        }
    }

    public static IReadOnlyDictionary<string, ModelShape> Presets { get; } = new Dictionary<string, ModelShape>(StringComparer.OrdinalIgnoreCase)
    {
        ["llama-3.2-1b"] = new()
        {
            Name = "llama-3.2-1b", ModelType = "llama", HiddenSize = 2048, IntermediateSize = 8192, Layers = 16, Heads = 32, KvHeads = 8, HeadDim = 64,
            VocabSize = 128256, TiedEmbeddings = true, RopeTheta = 500000, MaxPositionEmbeddings = 131072, Llama3Rope = (32, 1, 4, 8192),
        },
        ["llama-3.1-8b"] = new()
        {
            Name = "llama-3.1-8b", ModelType = "llama", HiddenSize = 4096, IntermediateSize = 14336, Layers = 32, Heads = 32, KvHeads = 8, HeadDim = 128,
            VocabSize = 128256, TiedEmbeddings = false, RopeTheta = 500000, MaxPositionEmbeddings = 131072, Llama3Rope = (8, 1, 4, 8192),
        },
        ["qwen2.5-0.5b"] = new()
        {
            Name = "qwen2.5-0.5b", ModelType = "qwen2", HiddenSize = 896, IntermediateSize = 4864, Layers = 24, Heads = 14, KvHeads = 2, HeadDim = 64,
            VocabSize = 151936, TiedEmbeddings = true, RopeTheta = 1000000, MaxPositionEmbeddings = 32768, RmsNormEps = 1e-6, QkvBias = true,
        },
        ["bench-4x1024"] = new()
        {
            Name = "bench-4x1024", ModelType = "llama", HiddenSize = 1024, IntermediateSize = 4096, Layers = 4, Heads = 16, KvHeads = 4, HeadDim = 64,
            VocabSize = 32000, TiedEmbeddings = false, RopeTheta = 500000, MaxPositionEmbeddings = 8192,
        },
    };
}
