using System.Text;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// Reads <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c> blocks as they stream: text outside
/// them is content, released as it comes (a possible start of the tag held back). A block is held until its call
/// commits (see <see cref="CallObjectReader"/>); a block that fails before that is content, tags and all, from the
/// failing character on. Text inside a committed block after its object closes is dropped; the last block may lack its
/// closing tag. The block ends at the first closing tag, even one inside a JSON string, as the whole-reply parse always did.
/// </summary>
internal sealed class HermesToolCallReader(IReadOnlyCollection<string>? functions, Func<string> newId) : ToolCallReader(functions, newId)
{
    private const string Open = "<tool_call>";
    private const string Close = "</tool_call>";

    private readonly StringBuilder _block = new();
    private MarkerMatch _open = new(Open);
    private MarkerMatch _close = new(Close);
    private CallObjectReader? _call;

    private protected override void Read(char c)
    {
        Looked();
        if (_call is null)
        {
            ReadOutside(c);
        }
        else
        {
            ReadBlock(c);
        }
    }

    private protected override void End()
    {
        if (_call is not null)
        {
            ReleasePartialClose();
            if (_call is { Committed: false })
            {
                Content(_block);
            }

            _call = null;
        }

        if (_open.Matched > 0)
        {
            Content(new string(_open.Partial));
            _open.Reset();
        }
    }

    private void ReadOutside(char c)
    {
        if (_open.Continues(c))
        {
            if (_open.Complete)
            {
                _open.Reset();
                _block.Clear().Append(Open);
                _call = new CallObjectReader(this, "arguments", argumentsRequired: false);
            }

            return;
        }

        if (_open.Matched > 0)
        {
            Content(new string(_open.Partial));
            _open.Reset();
            Read(c);
            return;
        }

        Content(c);
    }

    private void ReadBlock(char c)
    {
        if (_close.Continues(c))
        {
            if (_close.Complete)
            {
                _close.Reset();
                if (!_call!.Committed)
                {
                    Content(_block.Append(Close));
                }

                _call = null;
            }

            return;
        }

        if (_close.Matched > 0)
        {
            ReleasePartialClose();
            Read(c);
            return;
        }

        Feed(c);
    }

    /// <summary>A start of the closing tag that was not one is block text after all.</summary>
    private void ReleasePartialClose()
    {
        var partial = _close.Partial;
        _close.Reset();
        for (var i = 0; i < partial.Length; i++)
        {
            if (_call is null)
            {
                Read(partial[i]);
            }
            else
            {
                Looked();
                Feed(partial[i]);
            }
        }
    }

    private void Feed(char c)
    {
        var call = _call!;
        if (call.Done)
        {
            return;
        }

        // Text after an announced call's object inside its block is dropped, so only a failure needs handling.
        if (call.ReadHeld(c, _block) == CallReadOutcome.Failed)
        {
            Content(_block);
            _block.Clear();
            _call = null;
        }
    }
}
