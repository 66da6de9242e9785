using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// Legacy completions take token-id prompts as OpenAI's API and vLLM do (evaluation harnesses such as lm-eval send
/// them): used as given, nothing added.
/// </summary>
public sealed class TokenIdPromptTests(RealEngineGateway gateway) : IClassFixture<RealEngineGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_id_prompt_gets_the_reply_its_text_gets()
    {
        const string Text = "Once upon a time";
        var ids = gateway.Reference.Tokenizer.Encode(Text, addSpecialTokens: true); // what a text prompt becomes

        var byText = await CompleteAsync(JsonSerializer.Serialize(Text));
        var byIds = await CompleteAsync(JsonSerializer.Serialize(ids));

        Assert.Equal(byText.GetProperty("choices")[0].GetProperty("text").GetString(), byIds.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(ids.Count, byIds.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Several_token_id_prompts_get_one_choice_each()
    {
        var body = await CompleteAsync("[[5, 6, 7], [8, 9]]");

        Assert.Equal(2, body.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task A_token_id_beyond_the_vocabulary_is_a_400_naming_prompt()
    {
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/completions", $$"""{"model":"{{RealEngineGateway.Model}}","prompt":[5, 999999],"max_tokens":2}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("prompt", (await HostileRequestTests.ReadErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Echo_with_logprobs_reports_every_prompt_token_as_lm_eval_reads_it()
    {
        // lm-eval's loglikelihood request: token ids, echo, logprobs 1, one generated token, greedy.
        int[] ids = [.. gateway.Reference.Tokenizer.Encode("Once upon a time there was", addSpecialTokens: true)];
        var expected = await ReferencePromptLogprobsAsync(ids);

        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/completions", $$"""{"model":"{{RealEngineGateway.Model}}","prompt":{{JsonSerializer.Serialize(ids)}},"echo":true,"logprobs":1,"max_tokens":1,"temperature":0}"""), Ct);
        var body = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        var logprobs = body.GetProperty("choices")[0].GetProperty("logprobs");
        var tokenLogprobs = logprobs.GetProperty("token_logprobs").EnumerateArray().ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ids.Length + 1, tokenLogprobs.Count);
        Assert.Equal(JsonValueKind.Null, tokenLogprobs[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, logprobs.GetProperty("top_logprobs")[0].ValueKind);
        for (var p = 1; p < ids.Length; p++)
        {
            Assert.Equal(expected[p]!.Logprob, tokenLogprobs[p].GetSingle(), 4);
            Assert.Single(logprobs.GetProperty("top_logprobs")[p].EnumerateObject());
        }

        Assert.StartsWith(gateway.Reference.Tokenizer.Decode(ids), body.GetProperty("choices")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<Engine.Serving.TokenLogprob?>> ReferencePromptLogprobsAsync(int[] ids)
    {
        await foreach (var e in gateway.Reference.GenerateAsync(new Engine.Serving.GenerationRequest { PromptTokenIds = ids, MaxTokens = 1, PromptLogprobs = 1 }, Ct))
        {
            if (e.PromptLogprobs is { } prompt)
            {
                return prompt;
            }
        }

        throw new InvalidOperationException("the reference engine reported no prompt logprobs");
    }

    private async Task<JsonElement> CompleteAsync(string prompt)
    {
        using var response = await gateway.Host.Http.SendAsync(Requests.Post("/v1/completions", $$"""{"model":"{{RealEngineGateway.Model}}","prompt":{{prompt}},"max_tokens":6,"temperature":0}"""), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return Sse.Json(text);
    }
}
