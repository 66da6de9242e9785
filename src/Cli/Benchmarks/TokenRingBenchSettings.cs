namespace InferMesh.Cli.Benchmarks;

/// <summary>What <c>infermesh bench-tokenring</c> runs.</summary>
/// <param name="ModelDirectory">Hugging Face model folder.</param>
/// <param name="Devices">One device per ring member ("cuda:0,cuda:1", "cuda:0,cuda:0" for two members sharing a GPU, "cpu,cpu").</param>
/// <param name="SingleDeviceLengths">Prompt lengths timed through the engine's chunked prefill on the first device.</param>
/// <param name="RingLengths">Prompt lengths run through the ring (and checked against single-device prefill).</param>
/// <param name="Schedules">Ring schedules to run.</param>
/// <param name="ContinuationTokens">Greedy tokens compared after each ring.</param>
/// <param name="Chunk">Prefill chunk of the single-device runs (query rows per step).</param>
/// <param name="StepRows">Split sizes whose per-step times feed the cost model (empty: derived from the lengths).</param>
/// <param name="MaxStepRows">Largest split size measured when derived.</param>
/// <param name="SpecLinkBytesPerSecond">Link bandwidth used by the cost model unless the members are on different GPUs (then measured).</param>
/// <param name="DeviceMemoryBytes">Memory per device for the cost model's fit check (null: the first device's).</param>
/// <param name="Threads">CPU threads per CPU member.</param>
internal sealed record TokenRingBenchSettings(
    string ModelDirectory,
    IReadOnlyList<string> Devices,
    IReadOnlyList<int> SingleDeviceLengths,
    IReadOnlyList<int> RingLengths,
    IReadOnlyList<string> Schedules,
    int ContinuationTokens,
    int Chunk,
    IReadOnlyList<int> StepRows,
    int MaxStepRows,
    double SpecLinkBytesPerSecond,
    double? DeviceMemoryBytes,
    int? Threads);
