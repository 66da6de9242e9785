using M = InferMesh.Engine.Sampling.JsonSchemaMode;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Where a byte stream stands in a JSON text (RFC 8259) that must validate against a <see cref="CompiledJsonSchema"/>:
/// <see cref="Feed(byte)"/> answers whether the byte can continue some valid document. Object keys are matched byte by
/// byte against the keys the schema lists and that have not appeared yet (in their canonical spelling, see
/// <see cref="JsonSchemaText.KeyBytes"/>), so a key the schema forbids is refused at its first wrong byte; an object
/// closes only once its required keys appeared; arrays keep to minItems/maxItems; integers take no fraction or
/// exponent; enum/const values are matched as texts. Every prefix accepted can still be completed, so constrained
/// decoding never paints itself into a corner (depth and whitespace limits aside, as in <see cref="JsonCursor"/>).
/// <para>
/// <c>anyOf</c> is read by keeping one path per branch that still fits (at most <see cref="MaxPaths"/>; branches beyond
/// that are dropped, which narrows but never widens what is accepted). A class, not a value type — its state is a few
/// kilobytes — so trying bytes means <see cref="CopyFrom"/> into a preallocated scratch cursor, which copies only the
/// live part.
/// </para>
/// </summary>
public sealed class JsonSchemaCursor
{
    public const int MaxDepth = JsonCursor.MaxDepth;

    public const int MaxWhitespaceRun = JsonCursor.MaxWhitespaceRun;

    public const int MaxPaths = 8;

    private readonly JsonSchemaNode[] _nodes;
    private readonly JsonSchemaStep _step;
    private readonly JsonSchemaPath[] _paths = new JsonSchemaPath[MaxPaths];
    private readonly JsonSchemaFrame[] _frames = new JsonSchemaFrame[MaxPaths * MaxDepth];
    private int _count;

    public JsonSchemaCursor(CompiledJsonSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _nodes = schema.Nodes;
        _step = new JsonSchemaStep(schema.Nodes);
        _paths[0] = new JsonSchemaPath { Mode = M.Value, Node = schema.Root };
        _count = 1;
    }

    /// <summary>The top-level value is complete and nothing can extend it: only the end of the output may follow.</summary>
    public bool IsComplete
    {
        get
        {
            for (var p = 0; p < _count; p++)
            {
                if (_paths[p].Mode != M.Done)
                {
                    return false;
                }
            }

            return _count > 0;
        }
    }

    /// <summary>The bytes so far are a whole valid document (a top-level number may still grow, yet may end here).</summary>
    public bool CanEnd
    {
        get
        {
            for (var p = 0; p < _count; p++)
            {
                ref var s = ref _paths[p];
                if (s.Mode == M.Done || (s.Depth == 0 && (s.Mode is M.Zero or M.Digits or M.Fraction or M.ExponentDigits
                    || (s.Mode == M.Enum && _nodes[s.Node].Enum![s.Lo].Length == s.Pos))))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Takes another cursor's state (same schema), copying only its live paths and frames.</summary>
    public void CopyFrom(JsonSchemaCursor other)
    {
        _count = other._count;
        for (var p = 0; p < _count; p++)
        {
            _paths[p] = other._paths[p];
            Array.Copy(other._frames, p * MaxDepth, _frames, p * MaxDepth, other._paths[p].Depth);
        }
    }

    /// <summary>Feeds every byte; false (and the cursor left mid-way) as soon as one cannot continue a valid document.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (!Feed(b))
            {
                return false;
            }
        }

        return true;
    }

    public bool Feed(byte b)
    {
        if (b is (byte)'{' or (byte)'[' or (byte)'"' or (byte)'-' or (byte)'t' or (byte)'f' or (byte)'n' || char.IsAsciiDigit((char)b))
        {
            ExpandUnions();
        }

        var alive = 0;
        for (var p = 0; p < _count; p++)
        {
            if (!_step.Step(ref _paths[p], _frames.AsSpan(p * MaxDepth, MaxDepth), b))
            {
                continue;
            }

            if (alive != p)
            {
                Copy(p, alive);
            }

            alive++;
        }

        _count = alive;
        return alive > 0;
    }

    /// <summary>A value may start: each path waiting for a union's value becomes one path per branch.</summary>
    private void ExpandUnions()
    {
        for (var p = 0; p < _count; p++)
        {
            ref var s = ref _paths[p];
            if (s.Mode is not (M.Value or M.ArrayOpen))
            {
                continue;
            }

            // Unions cannot list themselves (the compiler refuses that), so this ends.
            while (_nodes[s.Node].Branches is { } branches)
            {
                for (var i = 1; i < branches.Length && _count < MaxPaths; i++)
                {
                    Copy(p, _count);
                    _paths[_count++].Node = branches[i];
                }

                s.Node = branches[0];
            }
        }
    }

    private void Copy(int from, int to)
    {
        _paths[to] = _paths[from];
        Array.Copy(_frames, from * MaxDepth, _frames, to * MaxDepth, _paths[from].Depth);
    }
}
