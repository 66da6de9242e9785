using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Every token's decoded bytes (<see cref="DecodedTokenBytes"/>) in one byte trie, flattened in pre-order, so that a
/// constraint can test the whole vocabulary by walking it: a byte the cursor refuses rules out every token below that
/// node at once, and tokens sharing a prefix share the work of reading it. Built once per tokenizer (it holds a few
/// bytes per trie node, a few megabytes for a 128k vocabulary); immutable, so any number of requests may share it.
/// </summary>
public sealed class TokenTrie
{
    public TokenTrie(DecodedTokenBytes tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Tokens = tokens;
        var order = Enumerable.Range(0, tokens.Count).Where(id => !tokens[id].IsEmpty).ToArray();
        Array.Sort(order, (a, b) => tokens[a].SequenceCompareTo(tokens[b]) is var c && c != 0 ? c : a.CompareTo(b));

        var labels = new List<byte>();
        var depths = new List<int>();
        var skip = new List<int>();
        var idStart = new List<int>();
        var ids = new List<int>(order.Length);
        var path = new Stack<int>();
        ReadOnlySpan<byte> previous = default;
        foreach (var id in order)
        {
            var bytes = tokens[id];
            var common = bytes.CommonPrefixLength(previous);
            while (path.Count > common)
            {
                skip[path.Pop()] = labels.Count;
            }

            for (var k = common; k < bytes.Length; k++)
            {
                path.Push(labels.Count);
                labels.Add(bytes[k]);
                depths.Add(k + 1);
                skip.Add(0);
                idStart.Add(ids.Count);
            }

            // Sorted order puts a prefix before its extensions, so this id belongs to the node created last.
            ids.Add(id);
            previous = bytes;
        }

        while (path.Count > 0)
        {
            skip[path.Pop()] = labels.Count;
        }

        idStart.Add(ids.Count);
        Labels = [.. labels];
        Depths = [.. depths];
        Skip = [.. skip];
        IdStart = [.. idStart];
        Ids = [.. ids];
        MaxDepth = depths.Count == 0 ? 0 : depths.Max();
    }

    public DecodedTokenBytes Tokens { get; }

    /// <summary>Bytes of the longest token.</summary>
    public int MaxDepth { get; }

    public int NodeCount => Labels.Length;

    /// <summary>The byte each node adds to its parent's prefix.</summary>
    internal byte[] Labels { get; }

    /// <summary>Length of each node's prefix (1 for the root's children).</summary>
    internal int[] Depths { get; }

    /// <summary>The pre-order index just past each node's subtree: where the walk goes when the node's byte is refused.</summary>
    internal int[] Skip { get; }

    /// <summary>Node i's tokens are <see cref="Ids"/>[IdStart[i] .. IdStart[i + 1]).</summary>
    internal int[] IdStart { get; }

    internal int[] Ids { get; }
}
