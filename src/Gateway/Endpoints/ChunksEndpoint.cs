using InferMesh.Contracts;
using InferMesh.Gateway.Auth;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Requests;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Endpoints;

/// <summary>
/// <c>/v1/chunks</c>: POST registers chunk texts (and, with <c>precompute</c>, computes their KV on a silo) and returns
/// their ids for use as <c>{"id": ...}</c> documents; GET <c>/{id}</c> shows a chunk and where its KV lives; DELETE
/// <c>/{id}</c> forgets it and drops its KV from every engine. Chunks live in the caller's cache namespace, so another
/// tenant's chunk id is simply not found.
/// </summary>
public static class ChunksEndpoint
{
    public static async Task RegisterAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var cancellationToken = context.RequestAborted;
        var tenant = services.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        using var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, cancellationToken);
        var request = ChunkRegistrationRequest.Parse(body.RootElement, options);
        if (!await services.GetRequiredService<ModelCatalog>().ServesAsync(request.Model, cancellationToken))
        {
            throw new ApiErrorException(ApiError.ModelNotFound(request.Model));
        }

        var cacheNamespace = services.GetRequiredService<CacheNamespacePolicy>().For(tenant);
        var grains = services.GetRequiredService<IGrainFactory>();
        var registered = new List<ChunkInfo>(request.Chunks.Count);
        foreach (var text in request.Chunks)
        {
            registered.Add(await grains.GetGrain<IChunkCacheGrain>(ChunkKey.ForText(request.Model, cacheNamespace, text).ToString()).Register(text));
        }

        if (request.Precompute)
        {
            using var slot = await services.GetRequiredService<Admission>().EnterAsync(cancellationToken);
            var precompute = services.GetRequiredService<ChunkPrecompute>();
            foreach (var text in request.Chunks)
            {
                await precompute.RunAsync(tenant, request.Model, cacheNamespace, text, cancellationToken);
            }
        }

        await ModelsEndpoint.WriteJsonAsync(context.Response, json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var chunk in registered)
            {
                ChunkJson.Write(json, chunk, request.Precompute);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public static async Task GetAsync(HttpContext context, string id)
    {
        var (_, chunk) = await FindAsync(context, id);
        await ModelsEndpoint.WriteJsonAsync(context.Response, json => ChunkJson.Write(json, chunk));
    }

    public static async Task DeleteAsync(HttpContext context, string id)
    {
        var (grain, chunk) = await FindAsync(context, id);
        await grain.Remove();
        await ModelsEndpoint.WriteJsonAsync(context.Response, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", chunk.Key.Id);
            json.WriteString("object", "chunk.deleted");
            json.WriteBoolean("deleted", true);
            json.WriteEndObject();
        });
    }

    /// <summary>The registered chunk with this id in the caller's namespace, under the <c>model</c> query parameter or any served model.</summary>
    private static async Task<(IChunkCacheGrain Grain, ChunkInfo Chunk)> FindAsync(HttpContext context, string id)
    {
        var services = context.RequestServices;
        var tenant = services.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        if (!ChunkKey.TryParseId(id, out _))
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid chunk id: expected 'chunk-' followed by {ChunkKey.HashLength} lowercase hex digits, as POST /v1/chunks returns.", "id", "invalid_chunk_id"));
        }

        var cacheNamespace = services.GetRequiredService<CacheNamespacePolicy>().For(tenant);
        if (context.Request.Query["model"] is { Count: > 0 } asked && (asked.Count > 1 || string.IsNullOrEmpty(asked[0]) || asked[0]!.Length > ChatCompletionRequest.MaxModelNameLength))
        {
            throw new ApiErrorException(ApiError.Invalid($"Invalid 'model' query parameter: give one model name of 1 to {ChatCompletionRequest.MaxModelNameLength} characters.", "model"));
        }

        var models = context.Request.Query["model"] is { Count: 1 } model
            ? [model[0]!]
            : (await services.GetRequiredService<ModelCatalog>().ReplicasAsync(context.RequestAborted)).Select(r => r.Model).Distinct(StringComparer.Ordinal).ToList();
        var grains = services.GetRequiredService<IGrainFactory>();
        foreach (var m in models)
        {
            var grain = grains.GetGrain<IChunkCacheGrain>(DocumentResolver.KeyOfId(m, cacheNamespace, id).ToString());
            var chunk = await grain.Get();
            if (chunk.Registered)
            {
                return (grain, chunk);
            }
        }

        throw new ApiErrorException(ApiError.ChunkNotFound(id, "id"));
    }
}
