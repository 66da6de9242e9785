using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using InferMesh.Engine.Sampling;
using InferMesh.Engine.Serving;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace InferMesh.Cluster.Tests;

/// <summary>
/// The real app host as separate processes: two silo processes, the gateway and redis-server. An OpenAI client
/// chats; the silo process holding the session is killed; the conversation goes on elsewhere with its history.
/// </summary>
public sealed class AppHostFailoverTests
{
    private const string Model = "tiny-llama";
    private const int ReplyTokens = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killing_the_silo_process_of_a_session_loses_no_acknowledged_turn()
    {
        Assert.SkipUnless(RedisServer.IsInstalled(), RedisServer.MissingReason);
        var clock = Stopwatch.StartNew();
        void Log(string what) => TestContext.Current.TestOutputHelper?.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
        var modelDir = GoldenModelDirectory();
        var gatewayPort = FreePort.Next();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Parameters:silos=2", $"--Parameters:model={modelDir}", $"--Parameters:gateway-port={gatewayPort}", $"--Parameters:redis-port={FreePort.Next()}"],
            Ct);
        await using var app = await builder.BuildAsync(Ct);
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        startup.CancelAfter(TimeSpan.FromMinutes(4));
        await app.StartAsync(startup.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", startup.Token);

        Log("gateway healthy");
        var gateway = app.GetEndpoint("gateway", "http");
        var chat = ChatClientFor(gateway, "failover-1");
        var first = new UserChatMessage("Describe a quiet morning.");
        var reply1 = (await chat.CompleteChatAsync([first], Greedy(), Ct)).Value.Content[0].Text;

        Log("first turn answered");
        var killedSilo = await KvSiloAsync(gateway, "failover-1");
        var pid = await SiloProcessIdAsync(app, killedSilo);
        Process.GetProcessById(pid).Kill(entireProcessTree: true);
        Log($"killed silo {killedSilo} (pid {pid})");

        var second = new UserChatMessage("Now the evening.");
        var reply2 = (await chat.CompleteChatAsync([first, new AssistantChatMessage(reply1), second], Greedy(), Ct)).Value.Content[0].Text;

        Log("second turn answered");
        var (expected1, expected2) = await ReferenceRepliesAsync(modelDir, "Describe a quiet morning.", "Now the evening.");
        Assert.Equal(expected1, reply1);
        Assert.Equal(expected2, reply2);
        using var history = JsonDocument.Parse(await HttpGetAsync(gateway, "/v1/sessions/failover-1"));
        Assert.Equal(
            ["Describe a quiet morning.", reply1, "Now the evening.", reply2],
            history.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        Assert.NotEqual(killedSilo, history.RootElement.GetProperty("kv_silo").GetString());
    }

    private static ChatCompletionOptions Greedy() => new() { Temperature = 0, MaxOutputTokenCount = ReplyTokens };

    private static ChatClient ChatClientFor(Uri gateway, string session)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(gateway, "/v1"), NetworkTimeout = TimeSpan.FromMinutes(3) };
        options.AddPolicy(new SessionHeaderPolicy(session), PipelinePosition.PerCall);
        return new ChatClient(Model, new ApiKeyCredential("no-key-needed"), options);
    }

    private static async Task<string> KvSiloAsync(Uri gateway, string session)
    {
        using var json = JsonDocument.Parse(await HttpGetAsync(gateway, $"/v1/sessions/{session}"));
        return json.RootElement.GetProperty("kv_silo").GetString() ?? throw new InvalidOperationException("the session reports no KV silo");
    }

    /// <summary>The process id of the silo replica whose Orleans silo port is the one in <paramref name="siloAddress"/> (ip:port@generation).</summary>
    private static async Task<int> SiloProcessIdAsync(DistributedApplication app, string siloAddress)
    {
        var port = siloAddress.Split('@')[0].Split(':')[^1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        // Watching replays the current state of every resource replica first.
        await foreach (var state in app.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (state.Resource.Name == "silo"
                && state.Snapshot.EnvironmentVariables.Any(e => e.Name == "Orleans__Endpoints__SiloPort" && e.Value == port)
                && state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid)
            {
                return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no silo replica listens on Orleans port {port}");
    }

    /// <summary>The same conversation on the bare engine: each turn rendered whole and decoded greedily.</summary>
    private static async Task<(string First, string Second)> ReferenceRepliesAsync(string modelDir, string user1, string user2)
    {
        await using var engine = InferenceEngine.Load(modelDir, new EngineOptions { Threads = 1, KvCacheBlocks = 64 });
        async Task<string> ReplyAsync(params (string Role, string Content)[] messages)
        {
            var prompt = engine.ChatTemplate!.Render(new Dictionary<string, object?>
            {
                ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
                ["add_generation_prompt"] = true,
                ["bos_token"] = engine.Tokenizer.BosToken ?? "",
                ["eos_token"] = engine.Tokenizer.EosToken ?? "",
            });
            var text = new System.Text.StringBuilder();
            await foreach (var e in engine.GenerateAsync(new GenerationRequest { PromptTokenIds = engine.Tokenizer.Encode(prompt), MaxTokens = ReplyTokens, Sampling = SamplingParams.Greedy }))
            {
                text.Append(e.TextDelta);
            }

            return text.ToString();
        }

        var first = await ReplyAsync(("user", user1));
        return (first, await ReplyAsync(("user", user1), ("assistant", first), ("user", user2)));
    }

    private static async Task<string> HttpGetAsync(Uri gateway, string path)
    {
        using var http = new HttpClient { BaseAddress = gateway };
        return await http.GetStringAsync(path);
    }

    private static string GoldenModelDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "golden", Model);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/fixtures/golden/{Model} not found");
    }
}
