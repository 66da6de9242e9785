namespace InferMesh.Contracts.ToolCalls;

/// <summary>Where a call object stands after one more character (see <see cref="CallObjectReader.ReadHeld"/>).</summary>
internal enum CallReadOutcome
{
    /// <summary>Still inside the object (announced or not).</summary>
    Reading,

    /// <summary>The object failed before its call was announced: what was held is text, not a call.</summary>
    Failed,

    /// <summary>The announced call's object ended with this character.</summary>
    Ended,

    /// <summary>The announced call's object broke at this character, which is not part of it: read it again as what follows.</summary>
    EndedBefore,
}
