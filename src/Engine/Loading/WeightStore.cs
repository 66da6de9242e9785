using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace InferMesh.Engine.Loading;

/// <summary>
/// The weights of a model folder: <c>model.safetensors</c>, or the shards named by
/// <c>model.safetensors.index.json</c>'s weight_map. All memory-mapped; nothing is read into managed memory.
/// </summary>
public sealed class WeightStore : IDisposable
{
    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _byName;

    private WeightStore(string directory, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> byName)
    {
        Directory = directory;
        _files = files;
        _byName = byName;
    }

    public string Directory { get; }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IReadOnlyList<string> Files => _files.Select(f => f.Path).ToArray();

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorView Get(string name) =>
        _byName.TryGetValue(name, out var file)
            ? file.Get(name)
            : throw new ModelLoadException($"tensor '{name}' is missing from the model (searched {string.Join(", ", _files.Select(f => System.IO.Path.GetFileName(f.Path)))} in {Directory}).");

    public bool TryGet(string name, [NotNullWhen(true)] out TensorView? tensor)
    {
        tensor = _byName.TryGetValue(name, out var file) ? file.Get(name) : null;
        return tensor is not null;
    }

    /// <summary>
    /// Opens <c>model.safetensors</c>, or else the shards of <c>model.safetensors.index.json</c> (the order
    /// transformers' from_pretrained looks for them in).
    /// </summary>
    public static WeightStore Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new ModelLoadException($"{directory}: model folder does not exist.");
        }

        var single = System.IO.Path.Combine(directory, "model.safetensors");
        var index = System.IO.Path.Combine(directory, "model.safetensors.index.json");
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            return new WeightStore(directory, [file], file.Names.ToDictionary(n => n, _ => file, StringComparer.Ordinal));
        }

        if (File.Exists(index))
        {
            return OpenSharded(directory, index);
        }

        if (File.Exists(System.IO.Path.Combine(directory, "pytorch_model.bin")) || File.Exists(System.IO.Path.Combine(directory, "pytorch_model.bin.index.json")))
        {
            throw new ModelLoadException($"{directory}: has pytorch_model.bin weights; InferMesh reads only safetensors. Convert once with transformers: python -c \"from transformers import AutoModelForCausalLM as M; M.from_pretrained('{directory}').save_pretrained('OUT_DIR', safe_serialization=True)\", then copy the tokenizer files into OUT_DIR.");
        }

        throw new ModelLoadException($"{directory}: no model.safetensors or model.safetensors.index.json found.");
    }

    private static WeightStore OpenSharded(string directory, string indexPath)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException($"{indexPath}: has no weight_map object.");
            }

            weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                weightMap[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                    ? entry.Value.GetString()!
                    : throw new ModelLoadException($"{indexPath}: weight_map entry '{entry.Name}' must name a shard file, not {entry.Value.GetRawText()}.");
            }
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{indexPath}: not valid JSON ({e.Message}).", e);
        }

        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (shard.Contains('/') || shard.Contains('\\') || shard.Length == 0)
                {
                    throw new ModelLoadException($"{indexPath}: tensor '{tensor}' maps to '{shard}', which is not a file name in the model folder.");
                }

                if (!files.TryGetValue(shard, out var file))
                {
                    var path = System.IO.Path.Combine(directory, shard);
                    if (!File.Exists(path))
                    {
                        throw new ModelLoadException($"{indexPath}: shard '{shard}' (holding tensor '{tensor}') is missing from {directory}.");
                    }

                    file = SafetensorsFile.Open(path);
                    files[shard] = file;
                }

                if (!file.Contains(tensor))
                {
                    throw new ModelLoadException($"{file.Path}: tensor '{tensor}' is listed in {System.IO.Path.GetFileName(indexPath)} but not present in this shard.");
                }

                byName[tensor] = file;
            }
        }
        catch
        {
            foreach (var f in files.Values)
            {
                f.Dispose();
            }

            throw;
        }

        return new WeightStore(directory, [.. files.Values], byName);
    }

    public void Dispose()
    {
        foreach (var f in _files)
        {
            f.Dispose();
        }
    }
}
