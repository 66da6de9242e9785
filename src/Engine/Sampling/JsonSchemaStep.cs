using M = InferMesh.Engine.Sampling.JsonSchemaMode;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// One byte of one <see cref="JsonSchemaPath"/> of a <see cref="JsonSchemaCursor"/>: the JSON lexer of
/// <see cref="JsonCursor"/> (RFC 8259) with the schema's checks at each value, key and close. Stateless beyond the
/// schema's nodes; the path and its frames carry everything.
/// </summary>
internal sealed class JsonSchemaStep(JsonSchemaNode[] nodes)
{
    private readonly JsonSchemaNode[] _nodes = nodes;

    /// <summary>Moves the path past <paramref name="b"/>; false if no valid document continues that way.</summary>
    public bool Step(ref JsonSchemaPath s, Span<JsonSchemaFrame> f, byte b)
    {
        switch (s.Mode)
        {
            case M.String:
                if (s.InKey && !KeyByte(ref s, f, b, closing: b == (byte)'"'))
                {
                    return false;
                }

                if (b == (byte)'"')
                {
                    return s.InKey ? EndKey(ref s, f) : ValueDone(ref s);
                }

                if (b == (byte)'\\')
                {
                    s.Mode = M.Escape;
                    return true;
                }

                return b >= 0x20;
            case M.Escape:
                // A listed key matches only in its canonical spelling, so "\u0061" or "\/" could spell one of them as
                // an additional key and slip past its schema: in objects that list keys, keys take no such escapes.
                if (s.InKey && b is (byte)'u' or (byte)'/' && _nodes[f[s.Depth - 1].Node].Keys.Length > 0)
                {
                    return false;
                }

                if (s.InKey && !KeyByte(ref s, f, b, closing: false))
                {
                    return false;
                }

                if (b == (byte)'u')
                {
                    s.Mode = M.UnicodeEscape;
                    s.Matched = 4;
                    return true;
                }

                s.Mode = M.String;
                return b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t';
            case M.UnicodeEscape:
                if (!char.IsAsciiHexDigit((char)b) || (s.InKey && !KeyByte(ref s, f, b, closing: false)))
                {
                    return false;
                }

                if (--s.Matched == 0)
                {
                    s.Mode = M.String;
                }

                return true;
            case M.Literal:
                var word = s.Literal switch { 0 => "true"u8, 1 => "false"u8, _ => "null"u8 };
                if (b != word[s.Matched])
                {
                    return false;
                }

                return ++s.Matched < word.Length || ValueDone(ref s);
            case M.Enum:
                return EnumByte(ref s, f, b);
            case M.Minus:
                return Digit(ref s, b, b == (byte)'0' ? M.Zero : M.Digits);
            case M.Dot:
                return Digit(ref s, b, M.Fraction);
            case M.ExponentSign:
                return Digit(ref s, b, M.ExponentDigits);
            case M.Exponent:
                if (b is (byte)'+' or (byte)'-')
                {
                    s.Mode = M.ExponentSign;
                    return true;
                }

                return Digit(ref s, b, M.ExponentDigits);
            case M.Zero:
            case M.Digits:
            case M.Fraction:
            case M.ExponentDigits:
                if (char.IsAsciiDigit((char)b) && s.Mode != M.Zero)
                {
                    return true;
                }

                if (b == (byte)'.' && s.Mode is M.Zero or M.Digits && !s.Integer)
                {
                    s.Mode = M.Dot;
                    return true;
                }

                if (b is (byte)'e' or (byte)'E' && s.Mode is M.Zero or M.Digits or M.Fraction && !s.Integer)
                {
                    s.Mode = M.Exponent;
                    return true;
                }

                // Any other byte ends the number (numbers have no terminator of their own) and is read after it.
                return ValueDone(ref s) && Step(ref s, f, b);
        }

        if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            return s.Mode != M.Done && ++s.Whitespace <= JsonSchemaCursor.MaxWhitespaceRun;
        }

        s.Whitespace = 0;
        switch (s.Mode)
        {
            case M.Value:
                return BeginValue(ref s, f, b);
            case M.ArrayOpen:
                if (b == (byte)']')
                {
                    return Close(ref s, f, b);
                }

                if (_nodes[f[s.Depth - 1].Node].MaxItems == 0)
                {
                    return false;
                }

                f[s.Depth - 1].Count = 1;
                return BeginValue(ref s, f, b);
            case M.ObjectOpen:
                return b == (byte)'}' ? Close(ref s, f, b) : b == (byte)'"' && BeginKey(ref s, f);
            case M.ObjectKey:
                return b == (byte)'"' && BeginKey(ref s, f);
            case M.Colon:
                if (b != (byte)':')
                {
                    return false;
                }

                ref var frame = ref f[s.Depth - 1];
                var node = _nodes[frame.Node];
                s.Node = frame.Property >= 0 ? node.KeyNodes[frame.Property] : node.Additional;
                s.Mode = M.Value;
                return true;
            case M.AfterValue:
                return b == (byte)',' ? Comma(ref s, f) : Close(ref s, f, b);
            default:
                return false;
        }
    }

    private bool BeginValue(ref JsonSchemaPath s, Span<JsonSchemaFrame> f, byte b)
    {
        var node = _nodes[s.Node];
        if (node.Enum is { } values)
        {
            s.Mode = M.Enum;
            s.Lo = 0;
            s.Hi = values.Length;
            s.Pos = 0;
            return EnumByte(ref s, f, b);
        }

        var types = node.Types;
        switch (b)
        {
            case (byte)'{':
                return (types & JsonTypes.Object) != 0 && Open(ref s, f, isArray: false);
            case (byte)'[':
                return (types & JsonTypes.Array) != 0 && Open(ref s, f, isArray: true);
            case (byte)'"':
                s.InKey = false;
                s.Mode = M.String;
                return (types & JsonTypes.String) != 0;
            case (byte)'t':
            case (byte)'f':
            case (byte)'n':
                s.Literal = (byte)(b == (byte)'t' ? 0 : b == (byte)'f' ? 1 : 2);
                s.Matched = 1;
                s.Mode = M.Literal;
                return (types & (b == (byte)'n' ? JsonTypes.Null : JsonTypes.Boolean)) != 0;
        }

        if ((types & (JsonTypes.Number | JsonTypes.Integer)) == 0)
        {
            return false;
        }

        s.Integer = (types & JsonTypes.Number) == 0;
        if (b == (byte)'-')
        {
            s.Mode = M.Minus;
            return true;
        }

        return Digit(ref s, b, b == (byte)'0' ? M.Zero : M.Digits);
    }

    private bool Open(ref JsonSchemaPath s, Span<JsonSchemaFrame> f, bool isArray)
    {
        if (s.Depth == JsonSchemaCursor.MaxDepth)
        {
            return false;
        }

        f[s.Depth++] = new JsonSchemaFrame { Node = s.Node, IsArray = isArray, Property = -1 };
        s.Mode = isArray ? M.ArrayOpen : M.ObjectOpen;
        if (isArray)
        {
            s.Node = _nodes[s.Node].Items;
        }

        return true;
    }

    private bool Close(ref JsonSchemaPath s, Span<JsonSchemaFrame> f, byte b)
    {
        if (s.Depth == 0)
        {
            return false;
        }

        ref var top = ref f[s.Depth - 1];
        var node = _nodes[top.Node];
        var ok = top.IsArray ? b == (byte)']' && top.Count >= node.MinItems : b == (byte)'}' && (node.Required & ~top.Seen) == 0;
        if (!ok)
        {
            return false;
        }

        s.Depth--;
        return ValueDone(ref s);
    }

    private bool Comma(ref JsonSchemaPath s, Span<JsonSchemaFrame> f)
    {
        ref var top = ref f[s.Depth - 1];
        var node = _nodes[top.Node];
        if (top.IsArray)
        {
            if (top.Count >= node.MaxItems)
            {
                return false;
            }

            top.Count++;
            s.Node = node.Items;
            s.Mode = M.Value;
            return true;
        }

        // Another key only if one can still come: a listed key not yet used, or any key when extras are allowed.
        s.Mode = M.ObjectKey;
        return (node.AllKeys & ~top.Seen) != 0 || node.Additional != JsonSchemaNode.NoNode;
    }

    private bool BeginKey(ref JsonSchemaPath s, Span<JsonSchemaFrame> f)
    {
        ref var top = ref f[s.Depth - 1];
        var node = _nodes[top.Node];
        s.Mode = M.String;
        s.InKey = true;
        s.Matching = true;
        s.Lo = 0;
        s.Hi = node.Keys.Length;
        s.Pos = 0;
        return (node.AllKeys & ~top.Seen) != 0 || node.Additional != JsonSchemaNode.NoNode;
    }

    /// <summary>
    /// Narrows the listed keys the key can still become. While extra keys are allowed any byte goes, except the quote
    /// that would close a listed key already used (JSON objects should not repeat keys, RFC 8259 §4).
    /// </summary>
    private bool KeyByte(ref JsonSchemaPath s, Span<JsonSchemaFrame> f, byte b, bool closing)
    {
        ref var top = ref f[s.Depth - 1];
        var node = _nodes[top.Node];
        if (s.Matching)
        {
            s.Matching = Narrow(node.Keys, ref s, b);
        }

        var unused = s.Matching && (RangeMask(s.Lo, s.Hi) & ~top.Seen) != 0;
        return node.Additional != JsonSchemaNode.NoNode ? !(closing && s.Matching && !unused) : unused;
    }

    private bool EndKey(ref JsonSchemaPath s, Span<JsonSchemaFrame> f)
    {
        ref var top = ref f[s.Depth - 1];
        top.Property = -1;
        if (s.Matching)
        {
            // The closing quote narrowed the range to keys that end here: the same name (listed twice at most).
            for (var i = s.Lo; i < s.Hi; i++)
            {
                if ((top.Seen & (1UL << i)) == 0)
                {
                    top.Property = i;
                    top.Seen |= 1UL << i;
                    break;
                }
            }
        }

        s.InKey = false;
        s.Mode = M.Colon;
        return true;
    }

    private bool EnumByte(ref JsonSchemaPath s, Span<JsonSchemaFrame> f, byte b)
    {
        var values = _nodes[s.Node].Enum!;
        var lo = s.Lo;
        var pos = s.Pos;
        if (Narrow(values, ref s, b))
        {
            // A text that nothing longer extends is complete (a string's closing quote, a literal's last letter).
            return s.Hi - s.Lo > 1 || values[s.Lo].Length != s.Pos || ValueDone(ref s);
        }

        // Shorter texts sort first: if the bytes so far are a whole value (a number), this byte is read after it.
        return pos > 0 && values[lo].Length == pos && ValueDone(ref s) && Step(ref s, f, b);
    }

    /// <summary>Narrows [Lo, Hi) of sorted texts to those with <paramref name="b"/> at Pos (a contiguous run); false if none.</summary>
    private static bool Narrow(byte[][] texts, ref JsonSchemaPath s, byte b)
    {
        var pos = s.Pos;
        var lo = -1;
        var hi = -1;
        for (var i = s.Lo; i < s.Hi; i++)
        {
            var text = texts[i];
            if (text.Length > pos && text[pos] == b)
            {
                lo = lo < 0 ? i : lo;
                hi = i + 1;
            }
            else if (lo >= 0)
            {
                break;
            }
        }

        if (lo < 0)
        {
            return false;
        }

        s.Lo = lo;
        s.Hi = hi;
        s.Pos = pos + 1;
        return true;
    }

    private static ulong RangeMask(int lo, int hi) => (hi == 64 ? ulong.MaxValue : (1UL << hi) - 1) & ~((1UL << lo) - 1);

    private static bool Digit(ref JsonSchemaPath s, byte b, M next)
    {
        s.Mode = next;
        return char.IsAsciiDigit((char)b);
    }

    private static bool ValueDone(ref JsonSchemaPath s)
    {
        s.Mode = s.Depth == 0 ? M.Done : M.AfterValue;
        return true;
    }
}
