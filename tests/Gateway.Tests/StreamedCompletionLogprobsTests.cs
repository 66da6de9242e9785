using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests;

/// <summary>Streamed legacy completions carry each token's logprobs in its chunk, as OpenAI streams them.</summary>
public sealed class StreamedCompletionLogprobsTests(RealEngineGateway gateway) : IClassFixture<RealEngineGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_streamed_chunk_carries_its_token_logprob_and_offsets_add_up()
    {
        using var response = await gateway.Host.Http.SendAsync(
            Requests.Post("/v1/completions", $$"""{"model":"{{RealEngineGateway.Model}}","prompt":"Once upon a time","max_tokens":6,"temperature":0,"logprobs":2,"stream":true,"echo":true}"""),
            HttpCompletionOption.ResponseHeadersRead,
            Ct);
        var chunks = (await Sse.ReadAllAsync(response, Ct)).Where(d => d != "[DONE]").Select(Sse.Json).ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = "Once upon a time";
        var tokens = 0;
        foreach (var choice in chunks.Select(c => c.GetProperty("choices")[0]).Skip(1)) // the first chunk echoes the prompt
        {
            if (choice.GetProperty("logprobs").ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var logprobs = choice.GetProperty("logprobs");
            Assert.Equal(text.Length, logprobs.GetProperty("text_offset")[0].GetInt32());
            Assert.True(logprobs.GetProperty("token_logprobs")[0].GetSingle() <= 0);
            Assert.Equal(2, logprobs.GetProperty("top_logprobs")[0].EnumerateObject().Count());
            text += choice.GetProperty("text").GetString();
            tokens++;
        }

        Assert.Equal(6, tokens);
    }
}
