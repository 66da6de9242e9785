using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace InferMesh.Gateway.Tests;

/// <summary>Chat requests with <c>documents</c> and the <c>/v1/chunks</c> API, end to end over the real engine.</summary>
public sealed class DocumentsTests(DocumentsGateway gateway) : IClassFixture<DocumentsGateway>
{
    private const int ReplyTokens = 8;

    // Each test uses documents of its own, so no test's cached chunks decide another's outcome.
    private const string Moor = "The moor above Hallam is crossed by one old track, marked every mile by a standing stone carved with a cross.";
    private const string Canal = "The canal from Ashby to the coast carried coal for a century; its locks still work and narrow boats still pass.";
    private const string Abbey = "The ruined abbey at Kirkwell lost its roof four hundred years ago, but the west window still frames the sunset.";
    private const string Glass = "In the town of Pellow the glassworks fired its furnace day and night, and its green bottles went all over the world.";
    private const string Beacon = "On midsummer night a beacon is lit on Tor Hill, and farms for twenty miles around answer with fires of their own.";
    private const string Bells = "The church at Morley has eight bells, the oldest cast in the year the town received its charter from the king.";
    private const string Salt = "Salt was panned on the marsh at Fenby until the sea wall failed, and the pans now lie under a lagoon of reeds.";
    private const string Harbour = "The harbour at Scarle dries out at low tide, leaving the fishing boats resting on the mud until the sea returns.";
    private const string Weir = "Below the weir at Stowe the water runs fast over a bed of pebbles where the village children look for trout.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Documents_as_texts_give_the_bare_engine_reply_to_the_documented_prompt_layout()
    {
        var expected = await gateway.ReferenceReplyAsync("Answer from the documents.", [Moor, Canal], "What marks the track?", ReplyTokens);

        var reply = await ChatAsync(DocumentsGateway.ChatBody([Moor, Canal], "What marks the track?", ReplyTokens, "Answer from the documents."));

        Assert.Equal(expected.Text, reply.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(expected.PromptTokens, reply.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task The_same_documents_in_another_order_are_reused_and_usage_says_how_many_tokens()
    {
        await ChatAsync(DocumentsGateway.ChatBody([Abbey, Glass], "What frames the sunset?", 2, "First system prompt."));

        var second = (await ChatAsync(DocumentsGateway.ChatBody([Glass, Abbey], "Where did the bottles go?", 2, "Second system prompt."))).GetProperty("usage");

        var details = second.GetProperty("prompt_tokens_details");
        var prompt = second.GetProperty("prompt_tokens").GetInt32();
        var cached = details.GetProperty("cached_tokens").GetInt32();
        var reused = details.GetProperty("reused_chunk_tokens").GetInt32();
        Assert.True(reused > 0, "no chunk tokens were reused");
        Assert.InRange(reused, 1, cached);
        Assert.Equal(prompt - cached, details.GetProperty("computed_tokens").GetInt32());
    }

    [Fact]
    public async Task Streamed_reply_ends_with_usage_that_reports_reused_chunk_tokens()
    {
        await ChatAsync(DocumentsGateway.ChatBody([Beacon], "When is it lit?", 2, "Streaming, first."));
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", DocumentsGateway.ChatBody([Beacon], "Who answers?", 2, "Streaming, second.", stream: true)), Ct);

        var events = await Sse.ReadAllAsync(response, Ct);

        Assert.Equal("[DONE]", events[^1]);
        var details = Sse.Json(events[^2]).GetProperty("usage").GetProperty("prompt_tokens_details");
        Assert.True(details.GetProperty("reused_chunk_tokens").GetInt32() > 0, events[^2]);
    }

    [Fact]
    public async Task A_registered_chunk_id_works_as_a_document_like_its_text()
    {
        var id = (await RegisterAsync(Bells)).GetProperty("id").GetString()!;
        var byText = await ChatAsync(DocumentsGateway.ChatBody([Bells], "How many bells?", ReplyTokens));

        var byId = await ChatAsync(DocumentsGateway.ChatBody([id], "How many bells?", ReplyTokens));

        Assert.Equal(Content(byText), Content(byId));
        Assert.Equal(byText.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), byId.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task A_precomputed_chunk_is_reused_by_the_first_request_that_names_it_and_shows_its_copy()
    {
        var id = (await RegisterAsync(Salt, precompute: true)).GetProperty("id").GetString()!;
        await gateway.FlushChunkReportsAsync();

        using var get = await gateway.Host.Http.SendAsync(Requests.Get($"/v1/chunks/{id}"), Ct);
        var chunk = await JsonAsync(get);
        var first = await ChatAsync(DocumentsGateway.ChatBody([id], "What lies under the lagoon?", 2, "A system prompt, so the prefix cache cannot serve the chunk."));

        Assert.Equal(id, chunk.GetProperty("id").GetString());
        Assert.Equal("chunk", chunk.GetProperty("object").GetString());
        Assert.Equal(Salt.Length, chunk.GetProperty("characters").GetInt32());
        var copy = Assert.Single(chunk.GetProperty("copies").EnumerateArray());
        Assert.Equal("device", copy.GetProperty("variants")[0].GetProperty("tier").GetString());
        Assert.InRange(first.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("reused_chunk_tokens").GetInt32(), 1, chunk.GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task Deleting_a_chunk_forgets_its_id_and_drops_its_kv()
    {
        var id = (await RegisterAsync(Weir, precompute: true)).GetProperty("id").GetString()!;
        await gateway.FlushChunkReportsAsync();

        using var deleted = await gateway.Host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/chunks/{id}") { Headers = { Authorization = new("Bearer", GatewayHost.AliceKey) } }, Ct);
        using var get = await gateway.Host.Http.SendAsync(Requests.Get($"/v1/chunks/{id}"), Ct);
        using var byId = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", DocumentsGateway.ChatBody([id], "Who looks for trout?", 2)), Ct);
        var byText = await ChatAsync(DocumentsGateway.ChatBody([Weir], "Who looks for trout?", 2, "A system prompt the precompute did not have."));

        Assert.True((await JsonAsync(deleted)).GetProperty("deleted").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        Assert.Equal("chunk_not_found", (await HostileRequestTests.ReadErrorAsync(byId)).GetProperty("code").GetString());
        Assert.Equal(0, byText.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("reused_chunk_tokens").GetInt32());
    }

    [Fact]
    public async Task Another_tenant_neither_sees_nor_hits_a_tenants_chunk_on_the_same_engine()
    {
        var id = (await RegisterAsync(Moor + " Bob may not see this.", precompute: true)).GetProperty("id").GetString()!;

        using var get = await gateway.Host.Http.SendAsync(Requests.Get($"/v1/chunks/{id}", GatewayHost.BobKey), Ct);
        using var byId = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", DocumentsGateway.ChatBody([id], "What marks the track?", 2), GatewayHost.BobKey), Ct);
        var byText = await ChatAsync(DocumentsGateway.ChatBody([Moor + " Bob may not see this."], "What marks the track?", 2), GatewayHost.BobKey);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        var details = byText.GetProperty("usage").GetProperty("prompt_tokens_details");
        Assert.Equal(0, details.GetProperty("reused_chunk_tokens").GetInt32());
        Assert.Equal(0, details.GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Tenants_of_one_shared_group_reuse_each_others_chunks()
    {
        await ChatAsync(DocumentsGateway.ChatBody([Canal + " Carol shares this."], "What did it carry?", 2, "Carol asks."), DocumentsGateway.CarolKey);

        var dave = await ChatAsync(DocumentsGateway.ChatBody([Canal + " Carol shares this."], "Do the locks work?", 2, "Dave asks."), DocumentsGateway.DaveKey);

        Assert.True(dave.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("reused_chunk_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task A_session_stores_the_documents_in_its_history_before_the_question()
    {
        await ChatAsync(DocumentsGateway.ChatBody([Abbey], "How old is the ruin?", 2), session: "with-documents");

        using var history = await gateway.Host.Http.SendAsync(Requests.Get("/v1/sessions/with-documents"), Ct);

        var messages = (await JsonAsync(history)).GetProperty("messages");
        Assert.Equal(Abbey + "\n\nHow old is the ruin?", messages[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_official_OpenAI_client_sends_documents_as_extra_body_and_reads_the_reused_tokens()
    {
        var client = new ChatClient(DocumentsGateway.Model, new ApiKeyCredential(GatewayHost.AliceKey), new OpenAIClientOptions { Endpoint = new Uri(gateway.Host.BaseAddress, "/v1"), RetryPolicy = new ClientRetryPolicy(0) });
        await client.CompleteChatAsync([new SystemChatMessage("Client, first."), new UserChatMessage("When do the boats rest?")], WithDocuments(Harbour), Ct);

        var second = (await client.CompleteChatAsync([new SystemChatMessage("Client, second."), new UserChatMessage("Where do they rest?")], WithDocuments(Harbour), Ct)).Value;

#pragma warning disable SCME0001 // JsonPatch, the client's way to read fields it does not model, is marked experimental
        Assert.True(second.Usage.InputTokenDetails.Patch.TryGetValue("$.reused_chunk_tokens"u8, out int reused), "usage.prompt_tokens_details.reused_chunk_tokens is missing");
#pragma warning restore SCME0001
        Assert.True(reused > 0, "no chunk tokens were reused");
        Assert.InRange(second.Usage.InputTokenDetails.CachedTokenCount, reused, second.Usage.InputTokenCount);
    }

    /// <summary>Greedy options whose request body also carries <c>documents</c>, through the client's extra-body patch.</summary>
    private static ChatCompletionOptions WithDocuments(params string[] documents)
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 2 };
#pragma warning disable SCME0001 // JsonPatch, the client's way to send fields it does not model, is marked experimental
        options.Patch.Set("$.documents"u8, BinaryData.FromObjectAsJson(documents));
#pragma warning restore SCME0001
        return options;
    }

    private async Task<JsonElement> RegisterAsync(string text, bool precompute = false)
    {
        var body = JsonSerializer.Serialize(new { model = DocumentsGateway.Model, chunks = new[] { text }, precompute });
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chunks", body), Ct);
        return Assert.Single((await JsonAsync(response)).GetProperty("data").EnumerateArray());
    }

    private async Task<JsonElement> ChatAsync(string body, string key = GatewayHost.AliceKey, string? session = null)
    {
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/chat/completions", body, key, session), Ct);
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    private static string? Content(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
}
