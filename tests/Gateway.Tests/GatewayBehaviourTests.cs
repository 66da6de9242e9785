using System.Net;
using System.Text.Json;

namespace InferMesh.Gateway.Tests;

/// <summary>Gateway behaviour with a scripted engine (controllable timing): queueing, disconnects, sessions, shapes, metrics.</summary>
public sealed class GatewayBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Full_queue_answers_429_with_retry_after_and_the_server_recovers()
    {
        var engine = GoldenModel.Scripted();
        engine.TokenDelay = TimeSpan.FromMilliseconds(40);
        await using var host = await GatewayHost.StartAsync(engine, new Dictionary<string, string?>
        {
            ["InferMesh:Gateway:MaxConcurrentRequests"] = "1",
            ["InferMesh:Gateway:MaxQueuedRequests"] = "1",
        });
        var running = host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("one", 25)), Ct);
        await WaitUntilAsync(() => engine.Running == 1);
        var queued = host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("two", 5)), Ct);
        await Task.Delay(100, Ct);

        using var refused = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("three", 5)), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", (await HostileRequestTests.ReadErrorAsync(refused)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        using var later = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("four", 2)), Ct);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_generation()
    {
        var engine = GoldenModel.Scripted();
        engine.TokenDelay = TimeSpan.FromMilliseconds(20);
        await using var host = await GatewayHost.StartAsync(engine);
        using (var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("go on forever", 4000, "\"stream\":true")), HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            for (var i = 0; i < 4; i++)
            {
                await reader.ReadLineAsync(Ct);
            }

            Assert.Equal(1, engine.Running);
        }

        await WaitUntilAsync(() => engine.Cancelled == 1 && engine.Running == 0);
    }

    [Fact]
    public async Task Stream_has_role_content_finish_usage_chunks_then_done()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());

        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("hi", 3, "\"stream\":true,\"stream_options\":{\"include_usage\":true}")), HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await Sse.ReadAllAsync(response, Ct);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(Sse.Json).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out _))
            .Select(d => d.GetProperty("content").GetString()));
        Assert.Equal("t0 t1 t2 ", text);
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(3, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task Non_streamed_answer_has_n_choices_and_usage_over_all_of_them()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());

        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("hi", 4, "\"n\":2")), Ct);
        var body = Sse.Json(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal(2, body.GetProperty("choices").GetArrayLength());
        Assert.All(body.GetProperty("choices").EnumerateArray(), c => Assert.Equal("t0 t1 t2 t3 ", c.GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal(8, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Empty_tool_list_and_text_format_are_served_as_a_plain_request()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());

        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("hi", 3, "\"tools\":[],\"tool_choice\":\"none\",\"response_format\":{\"type\":\"text\"}")), Ct);
        var body = Sse.Json(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("t0 t1 t2 ", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Session_keeps_history_across_turns_and_delete_forgets_it()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());
        using (var first = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("first", 2), session: "s1"), Ct))
        {
            Assert.Equal("s1", first.Headers.GetValues("X-Session-Id").Single());
        }

        using (await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("second", 2), session: "s1"), Ct))
        {
        }

        using var history = await host.Http.SendAsync(Requests.Get("/v1/sessions/s1"), Ct);
        var messages = Sse.Json(await history.Content.ReadAsStringAsync(Ct)).GetProperty("messages");
        Assert.Equal(["user:first", "assistant:t0 t1 ", "user:second", "assistant:t0 t1 "],
            messages.EnumerateArray().Select(m => $"{m.GetProperty("role").GetString()}:{m.GetProperty("content").GetString()}"));

        using var deleted = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/v1/sessions/s1") { Headers = { Authorization = new("Bearer", GatewayHost.AliceKey) } }, Ct);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var gone = await host.Http.SendAsync(Requests.Get("/v1/sessions/s1"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Same_session_id_under_another_key_is_another_conversation()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());
        using (await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("alice speaking", 2), GatewayHost.AliceKey, "shared"), Ct))
        {
        }

        using (await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("bob speaking", 2), GatewayHost.BobKey, "shared"), Ct))
        {
        }

        var alice = await (await host.Http.SendAsync(Requests.Get("/v1/sessions/shared", GatewayHost.AliceKey), Ct)).Content.ReadAsStringAsync(Ct);
        var bob = await (await host.Http.SendAsync(Requests.Get("/v1/sessions/shared", GatewayHost.BobKey), Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("alice speaking", alice);
        Assert.DoesNotContain("bob speaking", alice);
        Assert.Contains("bob speaking", bob);
        Assert.DoesNotContain("alice speaking", bob);
    }

    [Fact]
    public async Task Second_concurrent_turn_of_one_session_is_refused_with_409()
    {
        var engine = GoldenModel.Scripted();
        engine.TokenDelay = TimeSpan.FromMilliseconds(30);
        await using var host = await GatewayHost.StartAsync(engine);
        var first = host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("long", 30), session: "busy"), Ct);
        await WaitUntilAsync(() => engine.Running == 1);

        using var second = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("meanwhile", 2), session: "busy"), Ct);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("session_busy", (await HostileRequestTests.ReadErrorAsync(second)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
    }

    [Fact]
    public async Task Max_tokens_beyond_the_context_is_a_400_context_length_exceeded()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());

        using var response = await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("hi", 5000)), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await HostileRequestTests.ReadErrorAsync(response);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("maximum context length is 4096 tokens", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Completions_echo_the_prompt_and_report_usage()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());

        using var response = await host.Http.SendAsync(Requests.Post("/v1/completions", $$"""{"model":"{{HostileCorpus.Model}}","prompt":"Once","max_tokens":2,"echo":true}"""), Ct);
        var body = Sse.Json(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.Equal("Oncet0 t1 ", body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(2, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Metrics_and_health_are_served_without_a_key()
    {
        await using var host = await GatewayHost.StartAsync(GoldenModel.Scripted());
        using (await host.Http.SendAsync(Requests.Post("/v1/chat/completions", Requests.Chat("hi", 3, "\"stream\":true")), Ct))
        {
        }

        using var health = await host.Http.GetAsync("/healthz", Ct);
        var metrics = await WaitForMetricAsync(host, "infermesh_time_to_first_token_seconds_bucket");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("infermesh_generation_tokens_total", metrics);
        Assert.Contains("infermesh_time_per_output_token_seconds_bucket", metrics);
        Assert.Contains("infermesh_e2e_request_latency_seconds_bucket", metrics);
    }

    private static async Task<string> WaitForMetricAsync(GatewayHost host, string name)
    {
        var text = "";
        for (var i = 0; i < 50 && !text.Contains(name, StringComparison.Ordinal); i++)
        {
            text = await host.Http.GetStringAsync("/metrics", Ct);
            await Task.Delay(100, Ct);
        }

        return text;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "condition not reached in time");
            await Task.Delay(20, Ct);
        }
    }
}
