using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads Mistral calls as they stream: <c>[TOOL_CALLS]</c> then a list of call objects (or one object), text before
/// the marker being content. The engine leaves the marker (a special token) out of the text, so a reply that opens
/// with a list or an object is read as calls too. What follows a marker, or opens a reply, is held until its first call
/// commits; if it fails first it is content (a reply that opened with a list or object is then still searched for the
/// marker; after a marker, the rest is content). After a call, a list that breaks off or text after the list is content
/// (the calls made stand); white space after the list is dropped.
/// </summary>
internal sealed class MistralToolCallReader(IReadOnlyCollection<string>? functions, Func<string> newId) : ToolCallReader(functions, newId)
{
    private enum Step { Start, Opening, Text, AfterMarker, ListItem, Object, ListNext, AfterCalls, Trailing }

    private readonly StringBuilder _held = new();
    private MarkerMatch _marker = new("[TOOL_CALLS]");
    private Step _step = Step.Start;
    private CallObjectReader? _call;
    private bool _bare;
    private bool _inList;

    private protected override void Read(char c)
    {
        Looked();
        switch (_step)
        {
            case Step.Start:
                _held.Append(c);
                if (c == '[')
                {
                    _marker.Continues(c);
                    _step = Step.Opening;
                }
                else if (c == '{')
                {
                    _bare = true;
                    StartObject(c, inList: false);
                }
                else if (!char.IsWhiteSpace(c))
                {
                    Content(_held);
                    _held.Clear();
                    _step = Step.Text;
                }

                break;
            case Step.Opening:
                ReadOpening(c);
                break;
            case Step.Text:
                ReadText(c);
                break;
            case Step.AfterMarker:
                _held.Append(c);
                if (c == '[')
                {
                    _inList = true;
                    _step = Step.ListItem;
                }
                else if (c == '{')
                {
                    StartObject(c, inList: false);
                }
                else if (!char.IsWhiteSpace(c))
                {
                    AttemptFailed();
                }

                break;
            case Step.ListItem:
                _held.Append(c);
                if (c == '{')
                {
                    StartObject(c, inList: true);
                }
                else if (!char.IsWhiteSpace(c))
                {
                    AttemptFailed();
                }

                break;
            case Step.Object:
                ReadObject(c);
                break;
            case Step.ListNext:
                _held.Append(c);
                if (c == ',')
                {
                    _step = Step.ListItem;
                }
                else if (c == ']')
                {
                    _held.Clear();
                    _step = Step.AfterCalls;
                }
                else if (!char.IsWhiteSpace(c))
                {
                    AttemptFailed();
                }

                break;
            case Step.AfterCalls:
                _held.Append(c);
                if (!char.IsWhiteSpace(c))
                {
                    AttemptFailed();
                }

                break;
            default:
                Content(c);
                break;
        }
    }

    private protected override void End()
    {
        var committed = Calls > 0;
        if (_step is Step.Text && _marker.Matched > 0)
        {
            Content(new string(_marker.Partial));
        }
        else if (_step is Step.Object ? !_call!.Committed : !committed)
        {
            Content(_held);
        }

        _held.Clear();
    }

    /// <summary>After a leading '[': the marker, or a bare list of calls.</summary>
    private void ReadOpening(char c)
    {
        _held.Append(c);
        if (_marker.Continues(c))
        {
            if (_marker.Complete)
            {
                _marker.Reset();
                _step = Step.AfterMarker;
            }

            return;
        }

        var listOpened = _marker.Matched == 1;
        _marker.Reset();
        _bare = true;
        _inList = true;
        if (!listOpened)
        {
            AttemptFailed();
        }
        else if (c == '{')
        {
            StartObject(c, inList: true);
        }
        else
        {
            _step = Step.ListItem;
            if (!char.IsWhiteSpace(c))
            {
                AttemptFailed();
            }
        }
    }

    private void ReadText(char c)
    {
        if (_marker.Continues(c))
        {
            if (_marker.Complete)
            {
                _marker.Reset();
                _held.Clear().Append("[TOOL_CALLS]");
                _bare = false;
                _step = Step.AfterMarker;
            }

            return;
        }

        if (_marker.Matched > 0)
        {
            Content(new string(_marker.Partial));
            _marker.Reset();
            Read(c);
            return;
        }

        Content(c);
    }

    private void StartObject(char c, bool inList)
    {
        _inList = inList;
        _step = Step.Object;
        _call = new CallObjectReader(this, "arguments", argumentsRequired: false);
        _call.Read(c);
    }

    private void ReadObject(char c)
    {
        var outcome = _call!.ReadHeld(c, _held);
        if (outcome == CallReadOutcome.Failed)
        {
            AttemptFailed();
        }
        else if (outcome != CallReadOutcome.Reading)
        {
            _step = _inList ? Step.ListNext : Step.AfterCalls;
            if (outcome == CallReadOutcome.EndedBefore)
            {
                Read(c); // not part of the broken call: it is what follows it
            }
        }
    }

    /// <summary>
    /// What is held is not (more) calls: it is content. A bare attempt that made no call leaves the marker still to be
    /// looked for; otherwise the rest of the reply is content.
    /// </summary>
    private void AttemptFailed()
    {
        Content(_held);
        _held.Clear();
        _step = _bare && Calls == 0 ? Step.Text : Step.Trailing;
    }
}
