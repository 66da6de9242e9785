using InferMesh.Contracts;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Requests;

namespace InferMesh.Gateway.Serving;

/// <summary>
/// Resolves a chat request's documents through the chunk directory: ids become their registered texts (an id this
/// tenant's namespace does not know is a 404), and the copies the directory lists give the routing hint — tokens of
/// these chunks per live silo (<see cref="ChunkAffinity"/>).
/// </summary>
public sealed class DocumentResolver(IGrainFactory grains, ModelCatalog catalog)
{
    public async Task<ResolvedDocuments> ResolveAsync(string model, string cacheNamespace, IReadOnlyList<DocumentReference> documents, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return ResolvedDocuments.None;
        }

        var keys = documents.Select(d => d.Text is { } text ? ChunkKey.ForText(model, cacheNamespace, text) : KeyOfId(model, cacheNamespace, d.ChunkId!)).ToArray();
        var entries = await Task.WhenAll(keys.Select(k => grains.GetGrain<IChunkCacheGrain>(k.ToString()).Lookup())).WaitAsync(cancellationToken);
        var texts = new string[documents.Count];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = documents[i].Text
                ?? (entries[i] is { Registered: true, Text: { } registered } ? registered : throw new ApiErrorException(ApiError.ChunkNotFound(documents[i].ChunkId!, documents[i].Param + ".id")));
        }

        var live = (await catalog.ReplicasAsync(cancellationToken)).Where(r => r.Model == model).Select(r => r.Silo).ToHashSet(StringComparer.Ordinal);
        var affinity = ChunkAffinity.TokensBySilo(entries, live);
        return new ResolvedDocuments(texts, affinity.Count > 0 ? ChunkAffinity.Encode(affinity) : null);
    }

    /// <summary>The directory key of a chunk id in this namespace (ids were checked when the request was parsed).</summary>
    public static ChunkKey KeyOfId(string model, string cacheNamespace, string chunkId) =>
        ChunkKey.TryParseId(chunkId, out var hash) ? new ChunkKey(model, cacheNamespace, hash) : throw new ArgumentException($"'{chunkId}' is not a chunk id", nameof(chunkId));
}
