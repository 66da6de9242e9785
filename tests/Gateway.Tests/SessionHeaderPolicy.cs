using System.ClientModel.Primitives;

namespace InferMesh.Gateway.Tests;

/// <summary>Adds InferMesh's X-Session-Id header to every request the OpenAI client sends.</summary>
internal sealed class SessionHeaderPolicy(string sessionId) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        message.Request.Headers.Set("X-Session-Id", sessionId);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        message.Request.Headers.Set("X-Session-Id", sessionId);
        await ProcessNextAsync(message, pipeline, currentIndex);
    }
}
