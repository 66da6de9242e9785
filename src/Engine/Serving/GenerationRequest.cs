using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Serving;

/// <summary>One sequence to generate: prompt token ids plus how to sample and when to stop.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptTokenIds { get; init; }

    public SamplingParams Sampling { get; init; } = SamplingParams.Greedy;

    public int MaxTokens { get; init; } = 256;

    /// <summary>Token ids that end generation (the model's EOS ids are added unless <see cref="IgnoreEos"/>).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Strings that end generation; the matched string is not emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    public bool IgnoreEos { get; init; }

    /// <summary>
    /// <see cref="OutputFormat.JsonObject"/> masks, at every step, the tokens that cannot continue a JSON object, and
    /// allows end-of-sequence (and <see cref="StopTokenIds"/>) only once it is closed. Such a request samples on the host.
    /// </summary>
    public OutputFormat OutputFormat { get; init; } = OutputFormat.Text;

    /// <summary>
    /// The schema of <see cref="OutputFormat.JsonSchema"/> (required with it, ignored otherwise), compiled per request
    /// by <see cref="CompiledJsonSchema.Compile"/>: decoding masks every token that cannot continue a document valid
    /// against it, and allows end-of-sequence only once the document is whole.
    /// </summary>
    public CompiledJsonSchema? OutputSchema { get; init; }

    /// <summary>
    /// When set, the <see cref="OutputFormat"/> constraint starts only after the output has produced this text (a
    /// reasoning model's <c>&lt;/think&gt;</c>): the reasoning before it is free (see <see cref="DeferredOutputConstraint"/>).
    /// </summary>
    public string? OutputConstraintAfter { get; init; }

    /// <summary>
    /// With <see cref="OutputConstraintAfter"/>: the reply must open its reasoning with this text (<c>&lt;think&gt;</c>,
    /// after white space) or be constrained from its first token; null when the prompt opened the reasoning.
    /// </summary>
    public string? OutputConstraintOpening { get; init; }

    /// <summary>
    /// Optional key of a conversation. When set, the engine keeps this sequence's KV (including a partial last block)
    /// after it finishes, so a later request with the same key whose prompt extends these tokens prefills only the new ones.
    /// </summary>
    public string? SessionKey { get; init; }

    /// <summary>
    /// Optional structure of the prompt (their token ids concatenated must equal <see cref="PromptTokenIds"/>).
    /// Segments marked as chunks are served from the chunk cache per <see cref="ChunkReuse"/>.
    /// </summary>
    public IReadOnlyList<PromptSegment>? Segments { get; init; }

    public ChunkReusePolicy ChunkReuse { get; init; } = ChunkReusePolicy.Default;

    /// <summary>
    /// Cache namespace (the tenant, by default, at the gateway): prefix-cache blocks and chunk caches are shared only
    /// within one namespace, since a shared cache lets one tenant time another's prompts. Sharing across tenants
    /// means giving them the same namespace, explicitly.
    /// </summary>
    public string CacheNamespace { get; init; } = "";

    /// <summary>
    /// Optional key of a prompt prefix whose KV a sequence-parallel ring imported into this engine
    /// (<see cref="PrefixImport.Commit"/>): the request starts from it and computes only what it does not cover (at
    /// least the last prompt token, for the logits). An unknown or reclaimed key means a normal prefill.
    /// </summary>
    public string? ImportedPrefixKey { get; init; }

    /// <summary>
    /// Report the log-probability of every prompt token given the ones before it, with this many most likely
    /// alternatives (0..20; vLLM's prompt_logprobs), on the first event. Null for none. Such a request computes its
    /// whole prompt: no prefix cache, session KV, imported prefix or chunk reuse, since every position needs logits.
    /// </summary>
    public int? PromptLogprobs { get; init; }
}
