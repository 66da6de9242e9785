using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Gateway.Endpoints;
using InferMesh.Gateway.Requests;

namespace InferMesh.Gateway.Serving;

/// <summary>
/// Computes a registered chunk's KV ahead of use: a one-token request whose only content is the chunk, laid out as a
/// chat request with that single document and no system prompt would be, so such requests later reuse it exactly.
/// It is routed like any request with documents (to a silo that already holds the chunk, if one does).
/// </summary>
public sealed class ChunkPrecompute(TurnRunner runner, DocumentResolver resolver)
{
    public async Task RunAsync(string tenant, string model, string cacheNamespace, string text, CancellationToken cancellationToken)
    {
        var document = await resolver.ResolveAsync(model, cacheNamespace, [new DocumentReference(text, null, "chunks")], cancellationToken);
        if (document.Affinity is { } affinity)
        {
            RequestContext.Set(RequestContextKeys.ChunkAffinity, affinity);
        }
        else
        {
            RequestContext.Remove(RequestContextKeys.ChunkAffinity);
        }

        var turn = new ChatTurn
        {
            Model = model,
            Messages = [new ChatMessage("user", "")],
            Documents = document.Texts,
            Options = new GenerationOptions { Temperature = 0, MaxTokens = 1 },
            Persist = false,
            CacheNamespace = cacheNamespace,
        };
        await using var stream = await runner.StartAsync(SessionIds.Ephemeral(tenant), turn, Stopwatch.GetTimestamp(), cancellationToken);
        while (await stream.MoveNextAsync())
        {
        }
    }
}
