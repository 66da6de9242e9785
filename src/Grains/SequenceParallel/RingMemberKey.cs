using InferMesh.Contracts;

namespace InferMesh.Grains.SequenceParallel;

/// <summary>
/// Key of a ring member grain: <c>ring|index|shard key</c>. The shard key names the silo and device whose engine the
/// member runs on (<see cref="ModelShardKey"/>); '|' appears in neither a ring id nor a member index.
/// </summary>
public static class RingMemberKey
{
    public static string Compose(string ringId, int index, string shardKey)
    {
        if (ringId.Contains('|', StringComparison.Ordinal))
        {
            throw new ArgumentException($"ring id '{ringId}' must not contain '|'.", nameof(ringId));
        }

        return $"{ringId}|{index}|{shardKey}";
    }

    public static (string RingId, int Index, ModelShardKey Shard) Parse(string key)
    {
        var first = key.IndexOf('|', StringComparison.Ordinal);
        var second = first < 0 ? -1 : key.IndexOf('|', first + 1);
        if (second < 0 || !int.TryParse(key.AsSpan(first + 1, second - first - 1), out var index))
        {
            throw new FormatException($"ring member key '{key}' is not of the form ring|index|shard");
        }

        return (key[..first], index, ModelShardKey.Parse(key[(second + 1)..]));
    }
}
