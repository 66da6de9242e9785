using InferMesh.Contracts;

namespace InferMesh.Grains.Tests;

public sealed class DirectoryAndErrorTests(StubCluster fixture) : IClassFixture<StubCluster>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Directory_lists_the_replica_of_every_silo_with_its_load()
    {
        var replicas = await fixture.Cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetReplicas();

        Assert.Equal(fixture.Cluster.Silos.Select(s => s.SiloAddress.ToParsableString()).Order(), replicas.Select(r => r.Silo).Order());
        Assert.All(replicas, r =>
        {
            Assert.Equal(StubCluster.Model, r.Model);
            Assert.Equal(75, r.FreeKvBlocks);
            Assert.Equal(new ModelShardKey(StubCluster.Model, 0, 3, r.Silo, "cpu").ToString(), r.ShardKey);
        });
    }

    [Fact]
    public async Task Shard_grain_activates_on_the_silo_in_its_key_and_reports_its_engine()
    {
        var silo = fixture.Cluster.Silos[^1].SiloAddress.ToParsableString();
        var key = new ModelShardKey(StubCluster.Model, 0, 3, silo, "cpu").ToString();

        var load = await fixture.Cluster.Client.GetGrain<IModelShardGrain>(key).GetLoad();

        Assert.Equal(silo, load.Silo);
        Assert.Equal(100, load.TotalKvBlocks);
    }

    [Fact]
    public async Task Chat_for_a_model_no_silo_serves_fails_with_model_not_found_at_the_caller()
    {
        RequestContext.Set(RequestContextKeys.Model, "no-such-model");
        var turn = new ChatTurn { Model = "no-such-model", Messages = [new ChatMessage("user", "hi")] };

        var error = await Assert.ThrowsAsync<InferenceException>(async () =>
            await fixture.Cluster.Client.GetGrain<ISessionGrain>("t/nobody").Chat(turn, Ct).ToListAsync(Ct));

        Assert.Equal(InferenceErrorKind.ModelNotFound, error.Kind);
        Assert.Equal("model", error.Param);
        Assert.Contains("no-such-model", error.Message);
    }

    [Fact]
    public async Task Turn_on_a_model_without_chat_template_is_an_invalid_request_naming_messages()
    {
        RequestContext.Set(RequestContextKeys.Model, StubCluster.Model);
        var turn = new ChatTurn { Model = StubCluster.Model, Messages = [new ChatMessage("user", "hi")] };

        var error = await Assert.ThrowsAsync<InferenceException>(async () =>
            await fixture.Cluster.Client.GetGrain<ISessionGrain>("t/templateless").Chat(turn, Ct).ToListAsync(Ct));

        Assert.Equal(InferenceErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("messages", error.Param);
    }

    [Fact]
    public async Task Forking_into_an_invalid_session_id_is_refused()
    {
        var error = await Assert.ThrowsAsync<InferenceException>(() =>
            fixture.Cluster.Client.GetGrain<ISessionGrain>("t/source").Fork("bad id with spaces"));

        Assert.Equal(InferenceErrorKind.InvalidRequest, error.Kind);
    }
}
