namespace InferMesh.Contracts.ToolCalls;

/// <summary>
/// One piece of a reply read by a <see cref="ToolCallReader"/>, in reply order: content text, a call's header
/// (<see cref="Id"/> and the function name in <see cref="Text"/>), or a fragment of call <see cref="CallIndex"/>'s
/// arguments. A call's fragments, concatenated, are its arguments.
/// </summary>
public readonly record struct ToolCallPiece(ToolCallPieceKind Kind, int CallIndex, string Text, string? Id = null);
