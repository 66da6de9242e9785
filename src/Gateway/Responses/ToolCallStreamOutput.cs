using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;

namespace InferMesh.Gateway.Responses;

/// <summary>What one step of a <see cref="ToolCallStream"/> lets go out, in reply order, and the logprobs of its content.</summary>
public sealed record ToolCallStreamOutput(IReadOnlyList<ToolCallPiece> Pieces, IReadOnlyList<TokenLogprobInfo> Logprobs)
{
    public static readonly ToolCallStreamOutput Nothing = new([], []);

    /// <summary>The content text among the pieces.</summary>
    public string Content => string.Concat(Pieces.Where(p => p.Kind == ToolCallPieceKind.Content).Select(p => p.Text));
}
