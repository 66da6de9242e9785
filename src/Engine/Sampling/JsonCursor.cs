using System.Runtime.CompilerServices;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Where a byte stream stands in a JSON text (RFC 8259) whose top-level value is an object — OpenAI's
/// <c>response_format: {"type": "json_object"}</c>. A value type: copying it is how a token's bytes are tried without
/// committing them. <see cref="Feed(byte)"/> answers whether the byte can continue some valid JSON text; strings take
/// any byte from 0x20 up except an unescaped quote or backslash (UTF-8 passes through), control characters are refused
/// as the RFC requires. Nesting is limited to <see cref="MaxDepth"/> and whitespace runs to <see cref="MaxWhitespaceRun"/>
/// bytes, so a model cannot stall in endless indentation or brackets (the schema cursor shares these limits).
/// </summary>
public struct JsonCursor
{
    public const int MaxDepth = 32;

    public const int MaxWhitespaceRun = 48;

    private ContainerStack _containers;
    private int _depth;
    private Mode _mode;
    private int _whitespace;
    private byte _literal;   // which literal (0 true, 1 false, 2 null) while in Mode.Literal
    private byte _matched;   // bytes of it matched so far, or hex digits left in Mode.UnicodeEscape
    private bool _inKey;     // the string being read is an object key

    private enum Mode : byte
    {
        Start,            // before the top-level object: whitespace or '{'
        ObjectOpen,       // after '{': a key or '}'
        ObjectKey,        // after ',' in an object: a key
        Colon,            // after a key: ':'
        Value,            // after ':' or ',' in an array: a value
        ArrayOpen,        // after '[': a value or ']'
        AfterValue,       // after a value inside a container: ',' or the container's close
        String,
        Escape,           // after a backslash in a string
        UnicodeEscape,    // reading the hex digits of \uXXXX
        Literal,          // inside true / false / null
        Minus,            // after '-': a digit
        Zero,             // after a leading 0: '.', 'e', or the end of the number
        Integer,          // integer digits
        Dot,              // after '.': a digit
        Fraction,         // fraction digits
        Exponent,         // after 'e'/'E': sign or digit
        ExponentSign,     // after the exponent's sign: a digit
        ExponentDigits,
        Done,             // the top-level object is closed
    }

    private static ReadOnlySpan<byte> True => "true"u8;

    private static ReadOnlySpan<byte> False => "false"u8;

    private static ReadOnlySpan<byte> Null => "null"u8;

    /// <summary>The top-level object is complete: only the end of the output may follow.</summary>
    public readonly bool IsComplete => _mode == Mode.Done;

    /// <summary>
    /// Same state as <paramref name="other"/>: every byte sequence is then accepted by both or by neither, so a token
    /// mask computed for one serves the other.
    /// </summary>
    public readonly bool SameState(in JsonCursor other)
    {
        if (_mode != other._mode || _depth != other._depth || _whitespace != other._whitespace
            || _literal != other._literal || _matched != other._matched || _inKey != other._inKey)
        {
            return false;
        }

        for (var i = 0; i < _depth; i++)
        {
            if (_containers[i] != other._containers[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Feeds every byte; false (and the cursor left mid-way) as soon as one cannot continue valid JSON.</summary>
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
        switch (_mode)
        {
            case Mode.String:
                if (b == (byte)'"')
                {
                    _mode = _inKey ? Mode.Colon : Mode.AfterValue;
                    _inKey = false;
                    return CloseIfTopLevel();
                }

                if (b == (byte)'\\')
                {
                    _mode = Mode.Escape;
                    return true;
                }

                return b >= 0x20;
            case Mode.Escape:
                if (b == (byte)'u')
                {
                    _mode = Mode.UnicodeEscape;
                    _matched = 4;
                    return true;
                }

                _mode = Mode.String;
                return b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t';
            case Mode.UnicodeEscape:
                if (!char.IsAsciiHexDigit((char)b))
                {
                    return false;
                }

                if (--_matched == 0)
                {
                    _mode = Mode.String;
                }

                return true;
            case Mode.Literal:
                var word = _literal switch { 0 => True, 1 => False, _ => Null };
                if (b != word[_matched])
                {
                    return false;
                }

                if (++_matched == word.Length)
                {
                    _mode = Mode.AfterValue;
                }

                return true;
            case Mode.Minus:
                return Digit(b, b == (byte)'0' ? Mode.Zero : Mode.Integer);
            case Mode.Dot:
                return Digit(b, Mode.Fraction);
            case Mode.ExponentSign:
                return Digit(b, Mode.ExponentDigits);
            case Mode.Exponent:
                if (b is (byte)'+' or (byte)'-')
                {
                    _mode = Mode.ExponentSign;
                    return true;
                }

                return Digit(b, Mode.ExponentDigits);
            case Mode.Zero:
            case Mode.Integer:
            case Mode.Fraction:
            case Mode.ExponentDigits:
                if (char.IsAsciiDigit((char)b) && _mode != Mode.Zero)
                {
                    return true;
                }

                if (b == (byte)'.' && _mode is Mode.Zero or Mode.Integer)
                {
                    _mode = Mode.Dot;
                    return true;
                }

                if (b is (byte)'e' or (byte)'E' && _mode is Mode.Zero or Mode.Integer or Mode.Fraction)
                {
                    _mode = Mode.Exponent;
                    return true;
                }

                // Any other byte ends the number (numbers have no terminator of their own) and is read after it.
                _mode = Mode.AfterValue;
                return Feed(b);
        }

        if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            return _mode != Mode.Done && ++_whitespace <= MaxWhitespaceRun;
        }

        _whitespace = 0;
        return _mode switch
        {
            Mode.Start => b == (byte)'{' && Open(b),
            Mode.ObjectOpen => b == (byte)'}' ? Close(b) : b == (byte)'"' && BeginString(key: true),
            Mode.ObjectKey => b == (byte)'"' && BeginString(key: true),
            Mode.Colon => b == (byte)':' && Become(Mode.Value),
            Mode.Value => BeginValue(b),
            Mode.ArrayOpen => b == (byte)']' ? Close(b) : BeginValue(b),
            Mode.AfterValue => b == (byte)',' ? Become(Top == (byte)'{' ? Mode.ObjectKey : Mode.Value) : Close(b),
            _ => false,
        };
    }

    private readonly byte Top => _containers[_depth - 1];

    private bool BeginValue(byte b)
    {
        switch (b)
        {
            case (byte)'{':
            case (byte)'[':
                return Open(b);
            case (byte)'"':
                return BeginString(key: false);
            case (byte)'-':
                return Become(Mode.Minus);
            case (byte)'t':
            case (byte)'f':
            case (byte)'n':
                _literal = (byte)(b == (byte)'t' ? 0 : b == (byte)'f' ? 1 : 2);
                _matched = 1;
                return Become(Mode.Literal);
            default:
                return Digit(b, b == (byte)'0' ? Mode.Zero : Mode.Integer);
        }
    }

    private bool Open(byte bracket)
    {
        if (_depth == MaxDepth)
        {
            return false;
        }

        _containers[_depth++] = bracket;
        return Become(bracket == (byte)'{' ? Mode.ObjectOpen : Mode.ArrayOpen);
    }

    private bool Close(byte bracket)
    {
        if (_depth == 0 || bracket != (Top == (byte)'{' ? (byte)'}' : (byte)']'))
        {
            return false;
        }

        _depth--;
        _mode = _depth == 0 ? Mode.Done : Mode.AfterValue;
        return true;
    }

    private bool BeginString(bool key)
    {
        _inKey = key;
        return Become(Mode.String);
    }

    private bool Digit(byte b, Mode next) => char.IsAsciiDigit((char)b) && Become(next);

    private bool Become(Mode mode)
    {
        _mode = mode;
        return true;
    }

    // A value directly inside nothing cannot happen (the top level is an object), so a closed string never ends the text.
    private readonly bool CloseIfTopLevel() => _depth > 0;

    [InlineArray(MaxDepth)]
    private struct ContainerStack
    {
        private byte _element;
    }
}
