using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Serving;

namespace InferMesh.Cli.Benchmarks;

/// <summary>What one mode of <c>bench-rag</c> measured, request by request.</summary>
internal sealed class RagRun
{
    public List<double> Ttft { get; } = [];

    /// <summary>Greedy answer tokens of each request.</summary>
    public List<List<int>> Answers { get; } = [];

    /// <summary>Logprobs (top alternatives) of each request's first answer token.</summary>
    public List<TokenLogprob?> FirstTokens { get; } = [];

    /// <summary>Per request and answer token: logprob of the chosen token minus the runner-up's (how near a tie it was).</summary>
    public List<List<float>> Margins { get; } = [];

    public long PromptTokens { get; set; }

    public long Computed { get; set; }

    public double Seconds { get; set; }

    public ChunkStoreStats Chunks { get; set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Chunk-store lookups and hits of the measured requests only (not of a precompute pass before them).</summary>
    public long ChunkLookups { get; set; }

    public long ChunkHits { get; set; }

    /// <summary>Prompt KV of each request (kept by the full-recomputation run when KV deviation is measured).</summary>
    public List<SessionKv> Kv { get; } = [];

    /// <summary>Per request, per layer: relative L2 deviation of keys and values from full recomputation's.</summary>
    public List<(double Keys, double Values)[]> KvDeviation { get; } = [];
}
