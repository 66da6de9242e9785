namespace InferMesh.Engine.Templates;

/// <summary>Thrown by {% break %} / {% continue %} and caught by the enclosing for-loop.</summary>
internal sealed class LoopControl(bool isBreak) : Exception
{
    public bool IsBreak { get; } = isBreak;
}
