using InferMesh.Engine.ChunkCache;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.ChunkCache;

public sealed class RecomputePlannerTests : IDisposable
{
    private static readonly ChunkReusePolicy CacheCraft = new();

    private readonly IComputeBackend _backend = ComputeDevices.Open("cpu", 1);
    private readonly ChunkArena _arena;

    public RecomputePlannerTests() => _arena = new ChunkArena(_backend, 2, 8, 16, 1 << 20);

    private ChunkVariant Variant(float[] scores, bool hadChunkContext = true) =>
        new(1, new int[scores.Length], 40, [7, 8], scores, new ChunkKv(_arena, [], scores.Length)) { HadChunkContext = hadChunkContext };

    [Fact]
    public void A_chunk_that_depended_more_on_its_neighbours_gets_more_of_it_recomputed()
    {
        var loose = Variant(Enumerable.Repeat(0.05f, 1000).ToArray());
        var dependent = Variant(Enumerable.Repeat(0.12f, 1000).ToArray());

        Assert.True(RecomputePlanner.Share(dependent, 0.2, false, CacheCraft) > RecomputePlanner.Share(loose, 0.2, false, CacheCraft));
    }

    [Fact]
    public void The_better_the_stored_context_matches_the_less_is_recomputed()
    {
        var variant = Variant(Enumerable.Repeat(0.1f, 1000).ToArray());

        Assert.True(RecomputePlanner.Share(variant, 0.0, false, CacheCraft) > RecomputePlanner.Share(variant, 0.8, false, CacheCraft));
        Assert.Equal(0, RecomputePlanner.Share(variant, 1.0, true, CacheCraft));
    }

    [Fact]
    public void A_chunk_first_seen_without_chunks_before_it_is_planned_with_the_typical_impact()
    {
        var alone = Variant(new float[1000], hadChunkContext: false);

        Assert.Equal(0.1 * 0.75, RecomputePlanner.Share(alone, 0.5, false, CacheCraft, typicalImpact: 0.1), 6);
    }

    [Fact]
    public void A_short_chunk_in_a_new_context_recomputes_at_least_its_boundary_tokens()
    {
        var variant = Variant(Enumerable.Repeat(0.1f, 80).ToArray());

        var share = RecomputePlanner.Share(variant, 0.2, false, CacheCraft);

        Assert.Equal(CacheCraft.BoundaryTokens, RecomputePlanner.Select(variant, share, 0).Length);
    }

    [Fact]
    public void The_boundary_floor_leaves_the_share_of_a_long_chunk_unchanged()
    {
        var variant = Variant(Enumerable.Repeat(0.5f, 256).ToArray());

        Assert.Equal(RecomputePlanner.MaxShare, RecomputePlanner.Share(variant, 0.2, false, CacheCraft));
        Assert.Equal(RecomputePlanner.MaxShare, RecomputePlanner.Share(variant, 0.2, false, CacheCraft with { BoundaryTokens = 0 }));
    }

    [Fact]
    public void The_boundary_floor_does_not_recompute_a_chunk_whose_context_is_unchanged()
    {
        var variant = Variant(Enumerable.Repeat(0.5f, 80).ToArray());

        Assert.Equal(0, RecomputePlanner.Share(variant, 1.0, true, CacheCraft));
    }

    [Fact]
    public void The_boundary_floor_does_not_apply_to_the_fixed_ratio_ablation()
    {
        var variant = Variant(Enumerable.Repeat(0.5f, 80).ToArray());

        Assert.Equal(0.1, RecomputePlanner.Share(variant, 0.2, false, new ChunkReusePolicy { Mode = ChunkReuseMode.FixedRatio, FixedRatio = 0.1 }));
    }

    [Fact]
    public void The_context_span_covers_the_tokens_that_attended_most_to_other_chunks()
    {
        var scores = new float[40];
        scores.AsSpan(22, 6).Fill(0.9f);

        Assert.Equal((22, 6), RecomputePlanner.Span(Variant(scores), 6 / 40.0));
    }

    [Fact]
    public void Tokens_within_the_recency_window_before_the_question_are_recomputed()
    {
        // Chunks at [100, 160) and [160, 200); the documents end at 200; a window of 50 reaches back to 150.
        Assert.Equal(10, RecomputePlanner.RecencyTokens(100, 60, 200, 50));
        Assert.Equal(40, RecomputePlanner.RecencyTokens(160, 40, 200, 50));
        Assert.Equal(0, RecomputePlanner.RecencyTokens(20, 60, 200, 50));
    }

    [Fact]
    public void The_recency_window_takes_at_most_a_third_of_short_documents()
    {
        Assert.Equal(256, RecomputePlanner.Window(256, 2560));
        Assert.Equal(30, RecomputePlanner.Window(256, 90));
    }

    [Fact]
    public void Selected_offsets_join_the_context_span_and_the_recency_tail()
    {
        var scores = new float[20];
        scores[2] = scores[3] = 1;

        Assert.Equal([2, 3, 16, 17, 18, 19], RecomputePlanner.Select(Variant(scores), 0.1, recencyTokens: 4));
    }

    [Fact]
    public void A_context_span_shorter_than_the_devices_minimum_run_grows_to_it()
    {
        var variant = Variant(Enumerable.Repeat(0.1f, 200).ToArray());

        Assert.Equal(10, RecomputePlanner.Select(variant, 0.05, 0).Length);
        Assert.Equal(64, RecomputePlanner.Select(variant, 0.05, 0, minRun: 64).Length);
        Assert.Empty(RecomputePlanner.Select(variant, 0.0, 0, minRun: 64));
    }

    public void Dispose()
    {
        _arena.Dispose();
        _backend.Dispose();
    }
}
