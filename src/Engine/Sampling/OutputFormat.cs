namespace InferMesh.Engine.Sampling;

/// <summary>What the output must be (OpenAI's <c>response_format</c>).</summary>
public enum OutputFormat
{
    /// <summary>Any text.</summary>
    Text,

    /// <summary>One JSON object and nothing after it (<see cref="JsonOutputConstraint"/>).</summary>
    JsonObject,

    /// <summary>One JSON document valid against <c>GenerationRequest.OutputSchema</c> and nothing after it (<see cref="JsonSchemaConstraint"/>).</summary>
    JsonSchema,
}
