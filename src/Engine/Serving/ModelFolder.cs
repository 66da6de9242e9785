using System.Text.Json;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;
using InferMesh.Kernels;

namespace InferMesh.Engine.Serving;

/// <summary>
/// A Hugging Face model folder opened and validated: config.json, safetensors weights (single or sharded),
/// tokenizer.json/tokenizer_config.json, the chat template, and generation_config.json's EOS ids.
/// </summary>
public sealed class ModelFolder : IDisposable
{
    private readonly Lazy<ChatTemplate?> _template;

    private ModelFolder(string directory, ModelConfig config, WeightStore weights, TextTokenizer tokenizer, IReadOnlyList<int> eosTokenIds)
    {
        Directory = directory;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        EosTokenIds = eosTokenIds;
        // Parsed on first use: a template the renderer cannot handle must not stop raw-token generation
        // (completions, benchmarks); chat requests then get the template's error, naming its line.
        _template = new Lazy<ChatTemplate?>(() => ChatTemplate.FromModelFolder(directory));
    }

    public string Directory { get; }

    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Directory));

    public ModelConfig Config { get; }

    public WeightStore Weights { get; }

    public TextTokenizer Tokenizer { get; }

    public ChatTemplate? ChatTemplate => _template.Value;

    /// <summary>The type the checkpoint stores its weights in (that of the embedding table), which auto activation types follow.</summary>
    public DType CheckpointType => Weights.Get(TextWeightPrefix.Resolve(Config, Weights) + "embed_tokens.weight").DType;

    /// <summary>Opens the backend <paramref name="options"/> name for this checkpoint (its activation type resolved against <see cref="CheckpointType"/>).</summary>
    public IComputeBackend OpenBackend(EngineOptions options) =>
        ComputeDevices.Open(options.Device, options.Threads, options.ActivationType, CheckpointType);

    /// <summary>Every id that ends generation: config.json, generation_config.json and the tokenizer's EOS, merged.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    public static ModelFolder Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new ModelLoadException($"model folder '{directory}' does not exist; pass a Hugging Face model folder (config.json, *.safetensors, tokenizer.json).");
        }

        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var weights = WeightStore.Open(directory);
        try
        {
            new WeightLayout(config).Validate(weights);
            var tokenizerPath = Path.Combine(directory, "tokenizer.json");
            if (!File.Exists(tokenizerPath))
            {
                throw new ModelLoadException($"{tokenizerPath}: missing; InferMesh needs the Hugging Face tokenizer.json of the model.");
            }

            var tokenizer = TextTokenizer.Load(tokenizerPath);
            var eos = new SortedSet<int>(config.EosTokenIds);
            foreach (var id in tokenizer.EosTokenIds)
            {
                eos.Add(id);
            }

            foreach (var id in ReadGenerationEos(Path.Combine(directory, "generation_config.json")))
            {
                eos.Add(id);
            }

            return new ModelFolder(directory, config, weights, tokenizer, [.. eos]);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static IEnumerable<int> ReadGenerationEos(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("eos_token_id", out var eos))
            {
                return [];
            }

            return eos.ValueKind switch
            {
                JsonValueKind.Number => [eos.GetInt32()],
                JsonValueKind.Array => eos.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt32()).ToArray(),
                _ => [],
            };
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: not valid JSON ({e.Message}).");
        }
    }

    public void Dispose() => Weights.Dispose();
}
