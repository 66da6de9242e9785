using System.Text;
using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Responses;

/// <summary>
/// One streamed choice of a request with tools, read by the format's <see cref="ToolCallReader"/>: content goes out as
/// soon as it cannot be a call, each call's header as soon as it surely is one, then its arguments as the model writes
/// them (see the reader for what counts). Logprobs travel with the content released with or after them; those of
/// deltas that released only call text are dropped. With parallel_tool_calls false only the first call goes out.
/// Under a forced tool_choice the reply is JSON for the calls, which may still turn out cut short or unconstrained:
/// it is held whole and read at the end, as before.
/// </summary>
public sealed class ToolCallStream(ToolCallParser? parser, ToolCalling calling)
{
    private readonly ToolCallReader? _reader = calling.Forced ? null : parser?.NewReader(calling.Functions);
    private readonly StringBuilder _forcedText = new();
    private readonly List<TokenLogprobInfo> _logprobs = [];

    /// <summary>Whether <see cref="Finish"/> read the reply as a forced tool_choice's calls (they keep the reply's finish_reason).</summary>
    public bool FinishedForced { get; private set; }

    /// <summary>Calls sent so far.</summary>
    public int Calls { get; private set; }

    /// <summary>The choice's finish_reason once <see cref="Finish"/> has run (see <see cref="ToolCalling.FinishReason"/>).</summary>
    public string FinishReason(string replyReason) => calling.FinishReason(Calls, FinishedForced, replyReason);

    /// <summary>Characters the reader has looked at so far (linear in the reply's length).</summary>
    internal long CharactersRead => _reader?.CharactersRead ?? 0;

    /// <summary>Adds a delta's text; returns what may be sent now.</summary>
    public ToolCallStreamOutput Add(string text, TokenLogprobInfo? logprob) => AddWithLogprobs(text, logprob is null ? [] : [logprob]);

    /// <summary>Adds content text with the logprobs of the tokens it came from (several when a reasoning split held some back).</summary>
    public ToolCallStreamOutput AddWithLogprobs(string text, IReadOnlyList<TokenLogprobInfo> logprobs)
    {
        _logprobs.AddRange(logprobs);
        if (_reader is null)
        {
            if (calling.Forced)
            {
                _forcedText.Append(text);
                return ToolCallStreamOutput.Nothing;
            }

            return text.Length > 0 || _logprobs.Count > 0 ? Out([new ToolCallPiece(ToolCallPieceKind.Content, -1, text)]) : ToolCallStreamOutput.Nothing;
        }

        _reader.Add(text);
        return Out(_reader.TakePieces());
    }

    /// <summary>At the choice's end: what was still held, as content or calls.</summary>
    public ToolCallStreamOutput Finish()
    {
        if (!calling.Forced)
        {
            _reader?.Finish();
            return Out(_reader?.TakePieces() ?? [], last: true);
        }

        var text = _forcedText.ToString();
        if (calling.ForcedCalls(text) is { } forced)
        {
            FinishedForced = true;
            _logprobs.Clear();
            var pieces = new List<ToolCallPiece>();
            for (var i = 0; i < forced.Count; i++)
            {
                pieces.Add(new ToolCallPiece(ToolCallPieceKind.Header, i, forced[i].Name, forced[i].Id));
                pieces.Add(new ToolCallPiece(ToolCallPieceKind.Arguments, i, forced[i].Arguments));
            }

            return Out(pieces, last: true);
        }

        // Not of the forced shape (cut short, or decoded unconstrained): read in the model's own format.
        if (parser?.NewReader(calling.Functions) is not { } reader)
        {
            return Out([new ToolCallPiece(ToolCallPieceKind.Content, -1, text)], last: true);
        }

        reader.Add(text);
        reader.Finish();
        return Out(reader.TakePieces(), last: true);
    }

    private ToolCallStreamOutput Out(IReadOnlyList<ToolCallPiece> pieces, bool last = false)
    {
        var allowed = calling.ParallelToolCalls ? pieces : [.. pieces.Where(p => p.Kind == ToolCallPieceKind.Content || p.CallIndex == 0)];
        var hasContent = false;
        foreach (var piece in allowed)
        {
            hasContent |= piece.Kind == ToolCallPieceKind.Content;
            if (piece.Kind == ToolCallPieceKind.Header)
            {
                Calls++;
            }
        }

        if (!hasContent)
        {
            // Logprobs of call text are not sent; those of text still held wait for it.
            if (last || pieces.Count > 0)
            {
                _logprobs.Clear(); // also those of calls parallel_tool_calls false filtered out
            }

            return allowed.Count == 0 ? ToolCallStreamOutput.Nothing : new ToolCallStreamOutput(allowed, []);
        }

        TokenLogprobInfo[] logprobs = [.. _logprobs];
        _logprobs.Clear();
        return new ToolCallStreamOutput(allowed, logprobs);
    }
}
