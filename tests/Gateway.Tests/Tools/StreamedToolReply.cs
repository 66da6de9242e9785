using System.Text;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Tools;

namespace InferMesh.Gateway.Tests.Tools;

/// <summary>A reply streamed through a <see cref="ToolCallStream"/> in pieces of one length, reassembled as a client does.</summary>
internal sealed record StreamedToolReply(string Content, IReadOnlyList<(string Name, string Arguments)> Calls, int ArgumentFragments, IReadOnlyList<ToolCallPiece> Pieces)
{
    public static StreamedToolReply Of(string format, string reply, int pieceLength, ToolCalling? calling = null)
    {
        var stream = new ToolCallStream(ToolCallParser.For(format), calling ?? new ToolCalling("auto", true));
        var pieces = new List<ToolCallPiece>();
        for (var i = 0; i < reply.Length; i += pieceLength)
        {
            pieces.AddRange(stream.Add(reply.Substring(i, Math.Min(pieceLength, reply.Length - i)), null).Pieces);
        }

        pieces.AddRange(stream.Finish().Pieces);
        var content = new StringBuilder();
        var calls = new List<(string Name, StringBuilder Arguments)>();
        var fragments = 0;
        foreach (var piece in pieces)
        {
            switch (piece.Kind)
            {
                case ToolCallPieceKind.Content:
                    content.Append(piece.Text);
                    break;
                case ToolCallPieceKind.Header:
                    Assert.Equal(calls.Count, piece.CallIndex);
                    calls.Add((piece.Text, new StringBuilder()));
                    break;
                default:
                    Assert.Equal(calls.Count - 1, piece.CallIndex);
                    calls[piece.CallIndex].Arguments.Append(piece.Text);
                    fragments++;
                    break;
            }
        }

        return new StreamedToolReply(content.ToString(), [.. calls.Select(c => (c.Name, c.Arguments.ToString()))], fragments, pieces);
    }
}
