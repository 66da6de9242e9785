namespace InferMesh.Gateway.Tests.Reasoning;

/// <summary>
/// The gateway over <see cref="ReplyScriptEngine"/>s speaking through real reasoning models' chat templates (and
/// Qwen2.5's, which has no think block), one model name each.
/// </summary>
public sealed class ReasoningGateway : IAsyncLifetime
{
    public const string Qwen3 = "qwen3";
    public const string DeepSeekR1 = "deepseek-r1";
    public const string R1Distill = "r1-distill";
    public const string QwQ = "qwq";
    public const string SmolLM3 = "smollm3";
    public const string Qwen25 = "qwen2.5";

    private readonly Dictionary<string, ReplyScriptEngine> _engines = new()
    {
        [Qwen3] = new(Qwen3, "", RealTemplates.Text(RealTemplates.Qwen3)),
        [DeepSeekR1] = new(DeepSeekR1, "", RealTemplates.Text(RealTemplates.DeepSeekR1)),
        [R1Distill] = new(R1Distill, "", RealTemplates.Text(RealTemplates.R1Distill)),
        [QwQ] = new(QwQ, "", RealTemplates.Text(RealTemplates.QwQ)),
        [SmolLM3] = new(SmolLM3, "", RealTemplates.Text(RealTemplates.SmolLM3)),
        [Qwen25] = new(Qwen25, "qwen2.5-instruct.jinja"),
    };

    public GatewayHost Host { get; private set; } = null!;

    internal ReplyScriptEngine Engine(string model) => _engines[model];

    public async ValueTask InitializeAsync() => Host = await GatewayHost.StartAsync([.. _engines.Values]);

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
