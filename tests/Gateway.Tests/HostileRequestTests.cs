using System.Text.Json;
using InferMesh.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace InferMesh.Gateway.Tests;

/// <summary>A gateway shared by the corpus, with alice's session already stored.</summary>
public sealed class CorpusGateway : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Host = await GatewayHost.StartAsync(new ScriptedEngine(HostileCorpus.Model));
        RequestContext.Set(RequestContextKeys.Model, HostileCorpus.Model);
        await Host.Services.GetRequiredService<IGrainFactory>()
            .GetGrain<ISessionGrain>(SessionKeys.Compose("alice", HostileCorpus.AliceSession))
            .Import(new SessionSnapshot { Model = HostileCorpus.Model, Messages = [new ChatMessage("user", "alice's secret")], TokenIds = [1, 2, 3], Turns = 1 });
        await Host.Services.GetRequiredService<IGrainFactory>()
            .GetGrain<IChunkCacheGrain>(ChunkKey.ForText(HostileCorpus.Model, CacheNamespaces.ForTenant("alice"), HostileCorpus.AliceChunkText).ToString())
            .Register(HostileCorpus.AliceChunkText);
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

public sealed class HostileRequestTests(CorpusGateway gateway) : IClassFixture<CorpusGateway>
{
    [Fact]
    public void Corpus_has_at_least_fifty_distinct_requests()
    {
        Assert.True(HostileCorpus.All.Count >= 50, $"only {HostileCorpus.All.Count} cases");
        Assert.Equal(HostileCorpus.All.Count, HostileCorpus.All.Select(r => r.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(HostileCorpus.Names), MemberType = typeof(HostileCorpus))]
    public async Task Hostile_request_gets_its_4xx_and_an_OpenAI_error(string name)
    {
        var request = HostileCorpus.Get(name);

        using var response = await gateway.Host.Http.SendAsync(request.ToMessage(), TestContext.Current.CancellationToken);

        Assert.Equal(request.Status, (int)response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _), "error.param is missing");
        Assert.True(error.TryGetProperty("code", out _), "error.code is missing");
        if (request.Code is not null)
        {
            Assert.Equal(request.Code, error.GetProperty("code").GetString());
        }

        if (request.Param is not null)
        {
            Assert.Equal(request.Param, error.GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Server_still_serves_after_the_whole_corpus()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var request in HostileCorpus.All)
        {
            using var hostile = await gateway.Host.Http.SendAsync(request.ToMessage(), ct);
        }

        using var models = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        models.Headers.Authorization = new("Bearer", GatewayHost.AliceKey);
        using var response = await gateway.Host.Http.SendAsync(models, ct);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains(HostileCorpus.Model, await response.Content.ReadAsStringAsync(ct));

        using var history = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{HostileCorpus.AliceSession}");
        history.Headers.Authorization = new("Bearer", GatewayHost.AliceKey);
        using var own = await gateway.Host.Http.SendAsync(history, ct);
        Assert.Equal(200, (int)own.StatusCode);
        Assert.Contains("alice's secret", await own.Content.ReadAsStringAsync(ct));

        using var chunk = await gateway.Host.Http.SendAsync(Requests.Get($"/v1/chunks/{HostileCorpus.AliceChunkId}"), ct);
        Assert.Equal(200, (int)chunk.StatusCode);
    }

    internal static async Task<JsonElement> ReadErrorAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("error").Clone();
    }
}
