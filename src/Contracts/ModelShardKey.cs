namespace InferMesh.Contracts;

/// <summary>
/// Key of a model shard grain: <c>model/layers first-last/silo/device</c>, e.g. <c>tiny-llama/layers 0-1/10.0.0.5:11111@123/cpu:0</c>.
/// The silo part is Orleans' parsable silo address (no '/'); the model may contain '/' so the key is parsed from the end.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ModelShardKey(
    [property: Id(0)] string Model,
    [property: Id(1)] int FirstLayer,
    [property: Id(2)] int LastLayer,
    [property: Id(3)] string Silo,
    [property: Id(4)] string Device)
{
    public override string ToString() => $"{Model}/layers {FirstLayer}-{LastLayer}/{Silo}/{Device}";

    public static ModelShardKey Parse(string key)
    {
        var parts = key.Split('/');
        if (parts.Length < 4)
        {
            throw new FormatException($"model shard key '{key}' is not of the form model/layers a-b/silo/device");
        }

        var layers = parts[^3];
        const string prefix = "layers ";
        var dash = layers.IndexOf('-', StringComparison.Ordinal);
        if (!layers.StartsWith(prefix, StringComparison.Ordinal) || dash < 0
            || !int.TryParse(layers.AsSpan(prefix.Length, dash - prefix.Length), out var first)
            || !int.TryParse(layers.AsSpan(dash + 1), out var last))
        {
            throw new FormatException($"model shard key '{key}': '{layers}' is not of the form 'layers a-b'");
        }

        return new ModelShardKey(string.Join('/', parts[..^3]), first, last, parts[^2], parts[^1]);
    }
}
