namespace InferMesh.Gateway;

/// <summary>Gateway limits and API keys (configuration section <c>InferMesh:Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string Section = "InferMesh:Gateway";

    /// <summary>
    /// API key → tenant. Each key is a tenant: its sessions are invisible to every other tenant. Empty turns
    /// authentication off (every caller is tenant <c>default</c>), for a single-user machine.
    /// </summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Tenant → group: tenants mapped to one group share prefix and chunk caches (explicit opt-in; a shared cache lets
    /// members time each other's prompts). Tenants not listed keep caches of their own.
    /// </summary>
    public Dictionary<string, string> SharedCacheGroups { get; set; } = [];

    /// <summary>Most documents on one chat request, and most chunks registered by one <c>POST /v1/chunks</c>.</summary>
    public int MaxDocuments { get; set; } = 64;

    /// <summary>Longest document or chunk text, in characters.</summary>
    public int MaxDocumentCharacters { get; set; } = 32_768;

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>Largest max_tokens / max_completion_tokens accepted (the context length may allow fewer).</summary>
    public int MaxTokensLimit { get; set; } = 8192;

    /// <summary>Largest <c>n</c> (choices per request).</summary>
    public int MaxChoices { get; set; } = 8;

    /// <summary>Most messages in one request.</summary>
    public int MaxMessages { get; set; } = 2048;

    /// <summary>Most function tools on one chat request.</summary>
    public int MaxTools { get; set; } = 128;

    /// <summary>Largest JSON schema (a tool's <c>parameters</c>), in bytes of its JSON text.</summary>
    public int MaxToolSchemaBytes { get; set; } = 32_768;

    /// <summary>Largest <c>response_format.json_schema.schema</c>, in bytes of its JSON text (it is compiled per request).</summary>
    public int MaxResponseSchemaBytes { get; set; } = 65_536;

    /// <summary>
    /// How tool calls are read out of replies: <c>auto</c> (the format the model's chat template points to),
    /// <c>hermes</c>, <c>llama3_json</c>, <c>mistral</c>, or <c>none</c> (never: replies are content).
    /// </summary>
    public string ToolCallParser { get; set; } = "auto";

    /// <summary>
    /// How replies are split into <c>reasoning_content</c> and content: <c>auto</c> (when the model's chat template
    /// writes or strips <c>&lt;/think&gt;</c>), <c>deepseek_r1</c>, <c>qwen3</c>, or <c>none</c> (never: replies are content).
    /// </summary>
    public string ReasoningParser { get; set; } = "auto";

    /// <summary>Largest <c>chat_template_kwargs</c>, in bytes of its JSON text.</summary>
    public int MaxChatTemplateKwargsBytes { get; set; } = 16_384;

    /// <summary>Requests generating at once through this gateway.</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>Requests waiting for a slot; beyond this the gateway answers 429 with Retry-After.</summary>
    public int MaxQueuedRequests { get; set; } = 256;

    /// <summary>The Retry-After the gateway suggests when it refuses for load, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// How long a turn that has produced nothing yet is retried when its silo is unreachable (failover: the session
    /// re-activates on another silo once the cluster has declared the old one dead).
    /// </summary>
    public TimeSpan FailoverRetryBudget { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Longest wait for one answer from the cluster (a turn's first tokens, i.e. its prefill, or one batch of the
    /// next). A call sent to a silo that died can otherwise wait forever; after this it fails and is retried.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
