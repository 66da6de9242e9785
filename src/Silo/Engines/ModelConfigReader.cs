using System.Text.Json;

namespace InferMesh.Silo.Engines;

/// <summary>Reads the one number of config.json the cluster needs before an engine is up: the decoder layer count.</summary>
internal static class ModelConfigReader
{
    public static int LayerCount(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement.TryGetProperty("text_config", out var text) ? text : doc.RootElement;
        return root.TryGetProperty("num_hidden_layers", out var layers) && layers.TryGetInt32(out var n) && n > 0
            ? n
            : throw new InvalidDataException($"{path}: num_hidden_layers is missing or not a positive integer");
    }
}
