using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Tests.Serving;

/// <summary>Small helpers the serving tests share: run a request to the end and collect what it produced.</summary>
internal static class EngineTestRuns
{
    public static async Task<(List<int> Tokens, TokenEvent Final)> RunAsync(IInferenceEngine engine, GenerationRequest request, CancellationToken ct = default)
    {
        var tokens = new List<int>();
        TokenEvent? final = null;
        await foreach (var e in engine.GenerateAsync(request, ct))
        {
            if (e.TokenId >= 0)
            {
                tokens.Add(e.TokenId);
            }

            if (e.Finish != FinishReason.None)
            {
                final = e;
            }
        }

        return (tokens, final ?? throw new InvalidOperationException("stream ended without a final event"));
    }
}
