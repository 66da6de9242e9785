using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads one call object, <c>{"name": …, "arguments": {…}}</c>, a character at a time for a <see cref="ToolCallReader"/>.
/// Before the header the object must be well-formed at its top level (keys are strings, the name a plain string naming
/// a requested function, the arguments an object or a string of JSON object text): anything else fails it, and its
/// text is content. The header goes out once the name is known and the arguments object has begun (or the object
/// closed without arguments, where they may be left out: then they are <c>{}</c>); from then on the arguments'
/// characters go out as they come, found by bracket depth, so their concatenation is the arguments' raw JSON text. A
/// string of arguments is decoded and checked whole, and goes out in one piece. Key order is free: arguments before
/// the name are held until it comes.
/// </summary>
internal sealed class CallObjectReader(ToolCallReader owner, string argumentsKey, bool argumentsRequired)
{
    private enum Step { Open, Key, InKey, Colon, Value, InName, InValue, AfterValue, Done, Failed }

    private enum Role { Other, Name, Arguments }

    private readonly StringBuilder _text = new();
    private readonly StringBuilder _heldArguments = new();
    private Step _step = Step.Open;
    private Role _role;
    private string? _name;
    private bool _hasArguments;
    private bool _argumentsAreString;
    private bool _argumentsDone;
    private bool _scalar;
    private bool _inString;
    private bool _escaped;
    private int _depth;

    /// <summary>The header went out: this is a call, whatever follows.</summary>
    public bool Committed { get; private set; }

    /// <summary>The object's closing brace was read (or, once committed, text that cannot continue it: the rest is not read).</summary>
    public bool Done => _step == Step.Done;

    /// <summary>
    /// The last character given to <see cref="Read"/> broke the object after its call was announced: the call stands
    /// as it is, and the character is not part of it — the reader around it reads it again (as text after the call).
    /// </summary>
    public bool Rejected { get; private set; }

    /// <summary>The text is not a call (decided before any header went out).</summary>
    public bool Failed => _step == Step.Failed;

    public void Read(char c)
    {
        switch (_step)
        {
            case Step.Open:
                if (!IsWhiteSpace(c))
                {
                    if (c == '{') { _step = Step.Key; } else { Fail(); }
                }

                break;
            case Step.Key:
                if (IsWhiteSpace(c))
                {
                    break;
                }

                if (c == '"')
                {
                    _text.Clear();
                    _escaped = false;
                    _step = Step.InKey;
                }
                else if (c == '}')
                {
                    ObjectClosed();
                }
                else
                {
                    Fail();
                }

                break;
            case Step.InKey:
                if (!_escaped && c == '"')
                {
                    _role = RoleOf(_text);
                    _step = Step.Colon;
                }
                else
                {
                    _escaped = !_escaped && c == '\\';
                    _text.Append(c);
                }

                break;
            case Step.Colon:
                if (!IsWhiteSpace(c))
                {
                    if (c == ':') { _step = Step.Value; } else { Fail(); }
                }

                break;
            case Step.Value:
                if (!IsWhiteSpace(c))
                {
                    StartValue(c);
                }

                break;
            case Step.InName:
                ReadName(c);
                break;
            case Step.InValue:
                ReadValue(c);
                break;
            case Step.AfterValue:
                if (IsWhiteSpace(c))
                {
                    break;
                }

                if (c == ',') { _step = Step.Key; }
                else if (c == '}') { ObjectClosed(); }
                else { Fail(); }

                break;
        }
    }

    private Role RoleOf(StringBuilder key) =>
        _name is null && key.Equals("name".AsSpan()) ? Role.Name
        : !_hasArguments && (key.Equals(argumentsKey.AsSpan()) || key.Equals("arguments".AsSpan())) ? Role.Arguments
        : Role.Other;

    private void StartValue(char c)
    {
        _inString = false;
        _escaped = false;
        _scalar = false;
        _depth = 0;
        switch (_role)
        {
            case Role.Name when c == '"':
                _text.Clear();
                _step = Step.InName;
                return;
            case Role.Name:
                Fail();
                return;
            case Role.Arguments when c is '{' or '"':
                _hasArguments = true;
                _argumentsAreString = c == '"';
                break;
            case Role.Arguments:
                Fail();
                return;
        }

        _step = Step.InValue;
        if (c == '"')
        {
            _inString = true;
        }
        else if (c is '{' or '[')
        {
            _depth = 1;
        }
        else
        {
            _scalar = true;
        }

        if (_role == Role.Arguments)
        {
            Capture(c);
            TryCommit();
        }
    }

    private void ReadName(char c)
    {
        if (c == '"')
        {
            _name = _text.ToString();
            if (!owner.IsRequestedName(_name))
            {
                Fail();
                return;
            }

            _step = Step.AfterValue;
            TryCommit();
        }
        else if (c == '\\' || char.IsSurrogate(c))
        {
            // Escaped or non-Unicode names are not read: no function is named so.
            Fail();
        }
        else
        {
            _text.Append(c);
        }
    }

    /// <summary>Follows a value by its brackets and strings to its end; the arguments' characters are kept or sent.</summary>
    private void ReadValue(char c)
    {
        if (_scalar)
        {
            if (IsWhiteSpace(c) || c is ',' or '}')
            {
                _step = Step.AfterValue;
                Read(c);
            }

            return;
        }

        if (_role == Role.Arguments)
        {
            Capture(c);
        }

        if (_inString)
        {
            if (_escaped) { _escaped = false; }
            else if (c == '\\') { _escaped = true; }
            else if (c == '"')
            {
                _inString = false;
                if (_depth == 0)
                {
                    ValueEnded();
                }
            }
        }
        else if (c == '"')
        {
            _inString = true;
        }
        else if (c is '{' or '[')
        {
            _depth++;
        }
        else if (c is '}' or ']' && --_depth == 0)
        {
            ValueEnded();
        }
    }

    private void Capture(char c)
    {
        if (Committed)
        {
            owner.Argument(c);
        }
        else
        {
            _heldArguments.Append(c);
        }
    }

    private void ValueEnded()
    {
        _step = Step.AfterValue;
        if (_role != Role.Arguments)
        {
            return;
        }

        _argumentsDone = true;
        if (_argumentsAreString && !Committed)
        {
            if (ToolCallJson.DecodeArgumentsString(_heldArguments.ToString()) is not { } decoded)
            {
                Fail();
                return;
            }

            _heldArguments.Clear().Append(decoded);
        }

        TryCommit();
    }

    private void TryCommit()
    {
        if (Committed || _name is null || !_hasArguments || (_argumentsAreString && !_argumentsDone))
        {
            return;
        }

        Commit();
    }

    private void Commit()
    {
        Committed = true;
        owner.BeginCall(_name!);
        owner.Arguments(_heldArguments);
        _heldArguments.Clear();
    }

    private void ObjectClosed()
    {
        if (!Committed && _name is not null && !_hasArguments && !argumentsRequired)
        {
            _heldArguments.Append("{}");
            Commit();
        }

        _step = Committed ? Step.Done : Step.Failed;
    }

    /// <summary>
    /// Reads <paramref name="c"/>, keeping it in <paramref name="held"/> while the call is not yet announced (the text to
    /// give back as content should the object fail); once announced, what was held is dropped (it went out as the call).
    /// </summary>
    public CallReadOutcome ReadHeld(char c, StringBuilder held)
    {
        if (!Committed)
        {
            held.Append(c);
        }

        Read(c);
        if (Failed)
        {
            return CallReadOutcome.Failed;
        }

        if (Committed)
        {
            held.Clear();
            if (Done)
            {
                return Rejected ? CallReadOutcome.EndedBefore : CallReadOutcome.Ended;
            }
        }

        return CallReadOutcome.Reading;
    }

    private void Fail()
    {
        Rejected = Committed;
        _step = Committed ? Step.Done : Step.Failed;
    }

    private static bool IsWhiteSpace(char c) => c is ' ' or '\t' or '\n' or '\r';
}
