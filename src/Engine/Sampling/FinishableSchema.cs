namespace InferMesh.Engine.Sampling;

/// <summary>
/// The compiler's checks that a schema describes documents decoding can finish: no anyOf lists itself, and every
/// reachable subschema has a finite value.
/// </summary>
internal static class FinishableSchema
{
    /// <summary>
    /// Refuses a schema where some reachable subschema has no finite value (an object that requires itself through
    /// $ref, an array of such objects with minItems ≥ 1): decoding could enter it and never finish the document.
    /// A fixpoint: scalars and enums are finishable; an object when all its required keys are, an array when it may
    /// be empty or its items are, a union when any branch is.
    /// </summary>
    public static void Check(IReadOnlyList<JsonSchemaNode> nodes, int root)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Branches is not null && UnionReaches(nodes, i, i))
            {
                throw JsonSchemaCompiler.Refuse("an anyOf lists itself among its branches (through $ref), which describes no value.");
            }
        }

        var finishable = new bool[nodes.Count];
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < nodes.Count; i++)
            {
                if (!finishable[i] && Finishable(nodes[i], finishable))
                {
                    finishable[i] = changed = true;
                }
            }
        }

        var seen = new bool[nodes.Count];
        var pending = new Stack<int>([root]);
        seen[root] = true;
        while (pending.Count > 0)
        {
            var at = pending.Pop();
            if (!finishable[at])
            {
                throw JsonSchemaCompiler.Refuse(at == root
                    ? "the schema admits no finite document (a required property or array item leads back to itself), so decoding could never finish."
                    : "a subschema admits no finite value (a required property or array item leads back to itself), so decoding could enter it and never finish; make the recursion optional.");
            }

            var node = nodes[at];
            IEnumerable<int> next = [.. node.KeyNodes, .. node.Branches ?? [], node.Items, .. node.Additional == JsonSchemaNode.NoNode ? [] : new[] { node.Additional }];
            foreach (var n in next.Where(n => !seen[n]))
            {
                seen[n] = true;
                pending.Push(n);
            }
        }
    }

    private static bool Finishable(JsonSchemaNode node, bool[] finishable)
    {
        if (node.Branches is { } branches)
        {
            return branches.Any(b => finishable[b]);
        }

        if (node.Enum is not null || (node.Types & (JsonTypes.String | JsonTypes.Number | JsonTypes.Integer | JsonTypes.Boolean | JsonTypes.Null)) != 0)
        {
            return true;
        }

        if ((node.Types & JsonTypes.Object) != 0 && Enumerable.Range(0, node.Keys.Length).All(k => (node.Required & (1UL << k)) == 0 || finishable[node.KeyNodes[k]]))
        {
            return true;
        }

        return (node.Types & JsonTypes.Array) != 0 && (node.MinItems == 0 || finishable[node.Items]);
    }

    /// <summary>
    /// Whether <paramref name="target"/> is reachable from <paramref name="from"/> through union branches alone. A
    /// search with a visited set: linear in the union edges (a recursive walk without one grew exponentially with
    /// nested $ref'd unions, so a 3 KB schema could stall a shard).
    /// </summary>
    private static bool UnionReaches(IReadOnlyList<JsonSchemaNode> nodes, int from, int target)
    {
        var visited = new bool[nodes.Count];
        var pending = new Stack<int>();
        pending.Push(from);
        while (pending.Count > 0)
        {
            if (nodes[pending.Pop()].Branches is not { } branches)
            {
                continue;
            }

            foreach (var branch in branches)
            {
                if (branch == target)
                {
                    return true;
                }

                if (!visited[branch])
                {
                    visited[branch] = true;
                    pending.Push(branch);
                }
            }
        }

        return false;
    }
}
