using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads Llama 3 JSON calls as they stream: the reply must open (after white space and an optional
/// <c>&lt;|python_tag|&gt;</c>) with a call object that has "parameters" (or "arguments"); more calls follow after
/// <c>;</c>. Until the first call commits everything is held; a reply that does not open so is content, released
/// from the character that decides it. After a call, text that is neither white space nor <c>;</c> and another call
/// is content (the calls made stand); a trailing <c>;</c> and white space are dropped.
/// </summary>
internal sealed class Llama3JsonToolCallReader(IReadOnlyCollection<string>? functions, Func<string> newId) : ToolCallReader(functions, newId)
{
    private enum Step { Start, Object, Between, Text }

    private readonly StringBuilder _held = new();
    private MarkerMatch _tag = new("<|python_tag|>");
    private bool _tagSeen;
    private bool _separated;
    private Step _step = Step.Start;
    private CallObjectReader? _call;

    private protected override void Read(char c)
    {
        Looked();
        switch (_step)
        {
            case Step.Start:
                _held.Append(c);
                if (_tag.Matched > 0 || (c == '<' && !_tagSeen))
                {
                    if (!_tag.Continues(c))
                    {
                        NoCall();
                    }
                    else if (_tag.Complete)
                    {
                        _tagSeen = true;
                        _tag.Reset();
                    }
                }
                else if (c == '{')
                {
                    StartObject(c);
                }
                else if (!char.IsWhiteSpace(c))
                {
                    NoCall();
                }

                break;
            case Step.Object:
                ReadObject(c);
                break;
            case Step.Between:
                _held.Append(c);
                if (c == ';' && !_separated)
                {
                    _separated = true;
                }
                else if (c == '{' && _separated)
                {
                    StartObject(c);
                }
                else if (!char.IsWhiteSpace(c))
                {
                    NoCall();
                }

                break;
            default:
                Content(c);
                break;
        }
    }

    private protected override void End()
    {
        if (_step is Step.Start || (_step is Step.Object && !_call!.Committed))
        {
            NoCall();
        }

        _held.Clear();
    }

    private void StartObject(char c)
    {
        _step = Step.Object;
        _separated = false;
        _call = new CallObjectReader(this, "parameters", argumentsRequired: true);
        _call.Read(c);
    }

    private void ReadObject(char c)
    {
        var outcome = _call!.ReadHeld(c, _held);
        if (outcome == CallReadOutcome.Failed)
        {
            NoCall();
        }
        else if (outcome != CallReadOutcome.Reading)
        {
            _step = Step.Between;
            if (outcome == CallReadOutcome.EndedBefore)
            {
                Read(c); // not part of the broken call: it is what follows it
            }
        }
    }

    /// <summary>What is held is not a call: it and everything after it is content.</summary>
    private void NoCall()
    {
        Content(_held);
        _held.Clear();
        _step = Step.Text;
    }
}
