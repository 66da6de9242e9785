using InferMesh.Contracts;
using InferMesh.Grains.Directory;
using InferMesh.Grains.Engines;
using InferMesh.Grains.SequenceParallel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;

namespace InferMesh.Grains.Tests.SequenceParallel;

/// <summary>
/// Which prompts a session sends to a prefill ring, and over which shards: only prompts with at least the threshold
/// of tokens still to prefill, only over fresh whole-model shards of the same model elsewhere, the session's own
/// shard first (it decodes), the others by free KV.
/// </summary>
public sealed class RingRoutingTests
{
    private const string Own = "m/layers 0-1/127.0.0.1:1@1/cpu";
    private static readonly ServingOptions Serving = new() { RingPrefillMinTokens = 100, RingMaxMembers = 3 };
    private static readonly int[] Prompt = Enumerable.Range(0, 150).ToArray();

    [Fact]
    public void Long_prompt_goes_to_the_own_shard_and_the_freest_other_whole_model_shards()
    {
        var router = Router(
            Replica("m/layers 0-1/127.0.0.1:2@1/cpu", free: 10),
            Replica("m/layers 0-1/127.0.0.1:3@1/cpu", free: 90),
            Replica("m/layers 0-1/127.0.0.1:4@1/cpu", free: 50),
            Replica(Own, free: 100));

        var members = router.Members(Local(), Own, Prompt, [], Serving);

        Assert.Equal([Own, "m/layers 0-1/127.0.0.1:3@1/cpu", "m/layers 0-1/127.0.0.1:4@1/cpu"], members);
    }

    [Fact]
    public void Prompt_below_the_threshold_is_prefilled_on_one_device()
    {
        var router = Router(Replica("m/layers 0-1/127.0.0.1:2@1/cpu", free: 10));

        Assert.Null(router.Members(Local(), Own, Prompt[..99], [], Serving));
    }

    [Fact]
    public void Tokens_already_resident_for_the_session_do_not_count_towards_the_threshold()
    {
        var router = Router(Replica("m/layers 0-1/127.0.0.1:2@1/cpu", free: 10));

        Assert.Null(router.Members(Local(), Own, Prompt, Prompt[..60], Serving));
        Assert.NotNull(router.Members(Local(), Own, Prompt, Prompt[..40], Serving));
    }

    [Fact]
    public void Other_models_pipeline_stages_and_stale_reports_are_not_ring_members()
    {
        var router = Router(
            Replica("other/layers 0-1/127.0.0.1:2@1/cpu", free: 10, model: "other"),
            Replica("m/layers 0-0/127.0.0.1:3@1/cpu", free: 10),
            Replica("m/layers 0-1/127.0.0.1:4@1/cpu", free: 10, age: TimeSpan.FromMinutes(1)));

        Assert.Null(router.Members(Local(), Own, Prompt, [], Serving));
    }

    [Fact]
    public void Threshold_zero_turns_rings_off()
    {
        var router = Router(Replica("m/layers 0-1/127.0.0.1:2@1/cpu", free: 10));

        Assert.Null(router.Members(Local(), Own, Prompt, [], new ServingOptions { RingPrefillMinTokens = 0 }));
    }

    private static LocalEngine Local() => new(new StubEngine("m", 100, 0), "cpu", layerCount: 2);

    private static ModelReplicaLoad Replica(string shard, int free, string model = "m", TimeSpan? age = null)
    {
        var key = ModelShardKey.Parse(shard);
        return new ModelReplicaLoad
        {
            Model = model,
            ShardKey = shard,
            Silo = key.Silo,
            Device = key.Device,
            TotalKvBlocks = 100,
            UsedKvBlocks = 100 - free,
            ReportedAt = DateTimeOffset.UtcNow - (age ?? TimeSpan.Zero),
        };
    }

    private static RingPrefillRouter Router(params ModelReplicaLoad[] replicas)
    {
        var view = new ClusterLoadView();
        view.Update(replicas);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        return new RingPrefillRouter(view, null!, Options.Create(Serving), new RingPrefillCounters(meters), NullLogger<RingPrefillRouter>.Instance);
    }
}
