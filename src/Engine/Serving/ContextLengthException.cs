namespace InferMesh.Engine.Serving;

/// <summary>Prompt plus requested completion exceed the engine's context length.</summary>
public sealed class ContextLengthException(int promptTokens, int maxTokens, int contextLength)
    : ArgumentException($"This model's maximum context length is {contextLength} tokens. However, you requested {promptTokens + maxTokens} tokens ({promptTokens} in the prompt, {maxTokens} for the completion). Please reduce the prompt or max_tokens.")
{
    public int PromptTokens { get; } = promptTokens;

    public int MaxTokens { get; } = maxTokens;

    public int ContextLength { get; } = contextLength;
}
