namespace InferMesh.Contracts;

/// <summary>One prompt to prefill over a ring of model shards.</summary>
[GenerateSerializer, Immutable]
public sealed record RingPrefillRequest
{
    /// <summary>The prompt's token ids.</summary>
    [Id(0)] public required IReadOnlyList<int> TokenIds { get; init; }

    /// <summary>Shard keys of the members, in ring order; every one a whole-model shard of the same model. Member 0 decodes.</summary>
    [Id(1)] public required IReadOnlyList<string> Members { get; init; }

    [Id(2)] public PrefillRingSchedule Schedule { get; init; } = PrefillRingSchedule.TokenRing;

    /// <summary>Gather the prompt's KV into member 0's engine afterwards (for decode there).</summary>
    [Id(3)] public bool GatherToFirst { get; init; } = true;

    /// <summary>Return the last position's logits (for checking the ring against one device).</summary>
    [Id(4)] public bool ReturnLogits { get; init; }

    /// <summary>How long a member waits for any one message before it declares its peer gone.</summary>
    [Id(5)] public TimeSpan ReceiveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest Orleans message a tensor is split into.</summary>
    [Id(6)] public int MessageChunkBytes { get; init; } = 4 << 20;
}
