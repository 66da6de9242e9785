namespace InferMesh.Contracts.ToolCalls;

/// <summary>What a <see cref="ToolCallPiece"/> carries.</summary>
public enum ToolCallPieceKind
{
    /// <summary>Reply text that is content (not part of a call).</summary>
    Content,

    /// <summary>A call has surely begun: its id and function name.</summary>
    Header,

    /// <summary>More of a call's arguments text.</summary>
    Arguments,
}
