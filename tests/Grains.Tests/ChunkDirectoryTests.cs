using InferMesh.Contracts;

namespace InferMesh.Grains.Tests;

/// <summary>
/// The chunk directory and KV-aware routing on two silos with real CPU engines: where chunks are computed, where
/// requests that carry them go, who may reuse them, and how eviction and removal reach the directory.
/// </summary>
public sealed class ChunkDirectoryTests(ChunkCacheCluster fixture) : IClassFixture<ChunkCacheCluster>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Documents_fit_the_tiny_chunk_store()
    {
        var tokenizer = fixture.EngineOn(fixture.LiveSilos.First()).Engine.Tokenizer;
        foreach (var text in ChunkDocuments.All)
        {
            var tokens = tokenizer.Encode(text + "\n\n", addSpecialTokens: false).Count;
            Assert.InRange(tokens, (ChunkCacheCluster.MaxChunkTokens / 2) + 1, ChunkCacheCluster.MaxChunkTokens);
        }
    }

    [Fact]
    public async Task A_chunk_computed_on_one_silo_is_found_by_the_directory_with_its_tokens()
    {
        var (usage, silo) = await TurnAsync("acme/found", [ChunkDocuments.River], "Where does the river reach the sea?");

        await fixture.FlushChunkReportsAsync();
        var entry = await fixture.Directory(CacheNamespaces.ForTenant("acme"), ChunkDocuments.River).Get();

        var copy = Assert.Single(entry.Copies);
        Assert.Equal(silo, copy.Silo);
        var variant = Assert.Single(copy.Variants);
        var tokens = fixture.EngineOn(silo).Engine.Tokenizer.Encode(ChunkDocuments.River + "\n\n", addSpecialTokens: false).Count;
        Assert.Equal(tokens, entry.Tokens);
        Assert.Equal(tokens, variant.Tokens);
        Assert.Equal(ChunkCacheTier.Device, variant.Tier);
        Assert.Equal(0, usage.ReusedChunkTokens);
    }

    [Fact]
    public async Task Requests_carrying_chunks_go_to_the_silo_that_holds_them_and_reuse_them()
    {
        var (_, holder) = await TurnAsync("acme/first-bridge", [ChunkDocuments.Bridge], "How many arches?");
        await fixture.FlushChunkReportsAsync();
        await fixture.ReportLoadsAsync();

        for (var i = 0; i < 6; i++)
        {
            var entry = await fixture.Directory(CacheNamespaces.ForTenant("acme"), ChunkDocuments.Bridge).Lookup();
            var affinity = ChunkAffinity.Encode(ChunkAffinity.TokensBySilo([entry], fixture.LiveSilos));
            // A different system prompt each time: the prefix cache cannot cover the chunk, only its chunk cache can.
            var (usage, silo) = await TurnAsync($"acme/bridge-{i}", [ChunkDocuments.Bridge], "Which arch was rebuilt?", affinity, system: $"You answer question number {i}.");

            Assert.Equal(holder, silo);
            Assert.True(usage.ReusedChunkTokens > 0, $"request {i} reused no chunk tokens");
        }
    }

    [Fact]
    public async Task Another_tenant_routed_to_the_same_engine_cannot_hit_the_tenants_chunk()
    {
        var (_, holder) = await TurnAsync("alice/market", [ChunkDocuments.Market], "When is the market?");
        await fixture.FlushChunkReportsAsync();
        var bobsBefore = await fixture.Directory(CacheNamespaces.ForTenant("bob"), ChunkDocuments.Market).Get();
        var toAlicesSilo = ChunkAffinity.Encode(new Dictionary<string, long> { [holder] = 1 });

        var (usage, silo) = await TurnAsync("bob/market", [ChunkDocuments.Market], "When is the market?", toAlicesSilo);

        Assert.Empty(bobsBefore.Copies);
        Assert.Equal(holder, silo);
        Assert.Equal(0, usage.ReusedChunkTokens);
        Assert.Equal(0, usage.CachedPromptTokens);
    }

    [Fact]
    public async Task Tenants_that_opted_into_one_shared_namespace_reuse_each_others_chunks()
    {
        const string shared = "shared:harbour-team";
        var (_, holder) = await TurnAsync("carol/lighthouse", [ChunkDocuments.Lighthouse], "Who kept the log?", cacheNamespace: shared);
        await fixture.FlushChunkReportsAsync();
        var entry = await fixture.Directory(shared, ChunkDocuments.Lighthouse).Lookup();

        var (usage, silo) = await TurnAsync("dave/lighthouse", [ChunkDocuments.Lighthouse], "When was it first lit?", ChunkAffinity.Encode(ChunkAffinity.TokensBySilo([entry], fixture.LiveSilos)), shared, system: "Dave asks.");

        Assert.Equal(holder, silo);
        Assert.True(usage.ReusedChunkTokens > 0, "dave reused none of carol's chunk");
    }

    [Fact]
    public async Task Removing_a_chunk_clears_the_directory_and_the_engine()
    {
        var directory = fixture.Directory(CacheNamespaces.ForTenant("acme"), ChunkDocuments.Ferry);
        await directory.Register(ChunkDocuments.Ferry);
        var (_, holder) = await TurnAsync("acme/ferry", [ChunkDocuments.Ferry], "How often does the ferry cross?");
        await fixture.FlushChunkReportsAsync();
        Assert.NotEmpty((await directory.Get()).Copies);

        Assert.True(await directory.Remove());
        await fixture.FlushChunkReportsAsync();

        var entry = await directory.Get();
        Assert.False(entry.Registered);
        Assert.Empty(entry.Copies);
        var (usage, _) = await TurnAsync("acme/ferry-again", [ChunkDocuments.Ferry], "How often does the ferry cross?", ChunkAffinity.Encode(new Dictionary<string, long> { [holder] = 1 }), system: "Be brief.");
        Assert.Equal(0, usage.ReusedChunkTokens);
    }

    [Fact]
    public async Task A_sessions_next_turn_with_the_same_documents_extends_its_own_kv()
    {
        await TurnAsync("acme/reading", [ChunkDocuments.Market], "What is sold?");
        var history = await fixture.Client.GetGrain<ISessionGrain>("acme/reading").History();

        var (usage, silo) = await TurnAsync("acme/reading", [ChunkDocuments.Market], "And on which day?");

        Assert.Equal(history.KvSilo, silo);
        Assert.InRange(usage.CachedPromptTokens, history.TokenCount - 1, history.TokenCount);
        Assert.Equal(0, usage.ReusedChunkTokens);
    }

    [Fact]
    public async Task A_directory_entry_that_lost_its_activation_learns_its_copies_back_from_the_silos()
    {
        var (_, silo) = await TurnAsync("acme/chapel", [ChunkDocuments.Chapel], "Is the door locked?");
        await fixture.FlushChunkReportsAsync();
        var directory = fixture.Directory(CacheNamespaces.ForTenant("acme"), ChunkDocuments.Chapel);
        Assert.Equal(1, (await directory.Lookup()).Requests);

        await fixture.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero, Ct);
        var entry = await directory.Get();
        for (var waited = TimeSpan.Zero; entry.Copies.Count == 0 && waited < 5 * ChunkCacheCluster.RefreshInterval; waited += TimeSpan.FromMilliseconds(100))
        {
            await Task.Delay(100, Ct);
            entry = await directory.Get();
        }

        Assert.Equal(0, entry.Requests); // a new activation: what it knows came from the silos' refresh
        Assert.Equal(silo, Assert.Single(entry.Copies).Silo);
    }

    [Fact]
    public async Task A_copy_reported_by_a_silo_outside_the_cluster_is_never_handed_out()
    {
        var directory = fixture.Directory(CacheNamespaces.ForTenant("acme"), "a chunk nobody computed here");
        var gone = "127.0.0.1:1@1";

        await directory.Report(new ChunkCopy { Silo = gone, Device = "cpu", ShardKey = $"{GoldenModel.Name}/layers 0-1/{gone}/cpu", EngineKey = 7, Variants = [new ChunkVariantInfo(1, 5, 30, ChunkCacheTier.Device, 1, [], 0)] }, version: 1);

        Assert.Empty((await directory.Lookup()).Copies);
    }

    /// <summary>Runs a one-turn session with documents; the usage and the silo that ran it (the session's KV silo).</summary>
    internal static async Task<(UsageInfo Usage, string Silo)> TurnAsync(ChunkCacheCluster fixture, string key, IReadOnlyList<string> documents, string question, string? affinity = null, string? cacheNamespace = null, string? system = null)
    {
        RequestContext.Set(RequestContextKeys.Model, GoldenModel.Name);
        if (affinity is not null)
        {
            RequestContext.Set(RequestContextKeys.ChunkAffinity, affinity);
        }

        try
        {
            var session = fixture.Client.GetGrain<ISessionGrain>(key);
            var turn = new ChatTurn
            {
                Model = GoldenModel.Name,
                Messages = system is null ? [new ChatMessage("user", question)] : [new ChatMessage("system", system), new ChatMessage("user", question)],
                Documents = documents,
                CacheNamespace = cacheNamespace,
                Options = new GenerationOptions { Temperature = 0, MaxTokens = 2 },
            };
            var deltas = await session.Chat(turn, Ct).ToListAsync(Ct);
            return (deltas[^1].Usage!, (await session.History()).KvSilo!);
        }
        finally
        {
            RequestContext.Remove(RequestContextKeys.ChunkAffinity);
        }
    }

    private Task<(UsageInfo Usage, string Silo)> TurnAsync(string key, IReadOnlyList<string> documents, string question, string? affinity = null, string? cacheNamespace = null, string? system = null) =>
        TurnAsync(fixture, key, documents, question, affinity, cacheNamespace, system);
}
