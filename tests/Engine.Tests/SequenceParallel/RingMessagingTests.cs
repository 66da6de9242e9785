using System.Diagnostics;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;
using InferMesh.Engine.SequenceParallel;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>
/// The ring's message layer on its own: chunks assemble in any order, tensors cross in their storage type, and a
/// member whose peer never answers — or whose ring is aborted — stops with an error that names the peer and the
/// message, instead of waiting forever.
/// </summary>
public sealed class RingMessagingTests
{
    private static readonly RingTag Tag = new(3, 1, RingPayloadKind.Queries);

    [Fact]
    public async Task Mailbox_assembles_chunks_that_arrive_out_of_order()
    {
        var mailbox = new RingMailbox();
        var data = Enumerable.Range(0, 24).Select(i => (byte)i).ToArray();
        var receive = mailbox.ReceiveAsync(2, Tag);

        mailbox.Deliver(2, Tag, DType.F32, 2, 3, 24, 16, data[16..]);
        Assert.False(receive.IsCompleted);
        mailbox.Deliver(2, Tag, DType.F32, 2, 3, 24, 0, data[..16]);

        var payload = await receive;
        Assert.Equal(data, payload.Data);
        Assert.Equal((2, 3, DType.F32), (payload.Rows, payload.Cols, payload.Type));
        Assert.Equal(0, mailbox.Pending);
    }

    [Fact]
    public async Task Mailbox_keeps_a_message_that_arrives_before_it_is_asked_for()
    {
        var mailbox = new RingMailbox();
        mailbox.Deliver(1, Tag, DType.I32, 1, 1, 4, 0, [7, 0, 0, 0]);

        var payload = await mailbox.ReceiveAsync(1, Tag);

        Assert.Equal([7, 0, 0, 0], payload.Data);
        Assert.Equal(0, mailbox.Pending);
    }

    [Theory]
    [InlineData(DType.BF16, 2)]
    [InlineData(DType.F16, 2)]
    [InlineData(DType.F32, 4)]
    public void Wire_format_carries_a_stored_value_in_its_storage_size_without_rounding(DType type, int bytesPerElement)
    {
        // Values a device of that type can store exactly (what a download widens them from).
        float[] values = [1.5f, -2.25f, 3.140625f, 0f, 65280f / 4, -0.0078125f, 7f, 0.5f];
        var bytes = new byte[values.Length * bytesPerElement];
        var back = new float[values.Length];

        RingWireFormat.Encode(values, type, bytes);
        RingWireFormat.Decode(bytes, type, back);

        Assert.Equal(values, back);
    }

    [Fact]
    public async Task Link_moves_a_tensor_between_devices_and_counts_its_bytes_at_both_ends()
    {
        using var backend0 = ComputeDevices.Open("cpu", 1);
        using var backend1 = ComputeDevices.Open("cpu", 1);
        var network = new InMemoryRingNetwork(2);
        var sender = new RingLink(0, backend0, network.TransportOf(0), TimeSpan.FromSeconds(5));
        var receiver = new RingLink(1, backend1, network.TransportOf(1), TimeSpan.FromSeconds(5));
        using var source = backend0.Allocate(2, 4, DType.F32);
        using var destination = backend1.Allocate(2, 4, DType.F32);
        float[] values = [1.5f, -2.25f, 3.1f, 0f, 6e7f, -1e-9f, 7f, 1e-3f];
        backend0.Upload(values, source);

        await sender.SendAsync(1, Tag, source, CancellationToken.None);
        receiver.Store(await receiver.ReceiveAsync(0, Tag, CancellationToken.None), destination);

        var received = new float[8];
        backend1.Download(destination, received);
        Assert.Equal(values, received);
        Assert.Equal((32, 1), (sender.Stats.BytesSent, sender.Stats.MessagesSent));
        Assert.Equal((32, 1), (receiver.Stats.BytesReceived, receiver.Stats.MessagesReceived));
    }

    [Fact]
    public async Task Member_whose_peer_never_sends_fails_after_the_receive_timeout_naming_the_peer()
    {
        var (devices, ids) = TwoDevices();
        try
        {
            var partition = SequencePartition.ZigZag(ids.Length, 2);
            using var member = new RingMember(0, devices[0].Backend, devices[0].Weights, partition, partition.Positions(0).Select(p => ids[p]).ToArray());
            var network = new InMemoryRingNetwork(2);
            var link = new RingLink(0, member.Backend, network.TransportOf(0), TimeSpan.FromMilliseconds(300));
            var clock = Stopwatch.StartNew();

            var error = await Assert.ThrowsAsync<TimeoutException>(() => new RingMemberLoop(member, new TokenRingSchedule()).PrefillAsync(link, CancellationToken.None));

            Assert.Contains("from member 1", error.Message);
            Assert.Contains("Queries of layer 0, step 1", error.Message);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        }
        finally
        {
            Release(devices);
        }
    }

    [Fact]
    public async Task Aborting_the_ring_stops_a_waiting_member_at_once_with_the_reason()
    {
        var (devices, ids) = TwoDevices();
        try
        {
            var partition = SequencePartition.ZigZag(ids.Length, 2);
            using var member = new RingMember(1, devices[1].Backend, devices[1].Weights, partition, partition.Positions(1).Select(p => ids[p]).ToArray());
            var network = new InMemoryRingNetwork(2);
            var link = new RingLink(1, member.Backend, network.TransportOf(1), TimeSpan.FromMinutes(5));
            var run = Task.Run(() => new RingMemberLoop(member, new OneWayRingSchedule()).PrefillAsync(link, CancellationToken.None), TestContext.Current.CancellationToken);
            await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.False(run.IsCompleted);

            network.Abort(new InvalidOperationException("ring member 0 failed: device lost"));

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
            Assert.Contains("device lost", error.Message);
        }
        finally
        {
            Release(devices);
        }
    }

    private static (List<(IComputeBackend Backend, LlamaWeights Weights)> Devices, int[] Ids) TwoDevices()
    {
        var dir = RepoPaths.Golden("tiny-llama");
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        using var store = WeightStore.Open(dir);
        var devices = new List<(IComputeBackend, LlamaWeights)>();
        for (var m = 0; m < 2; m++)
        {
            var backend = ComputeDevices.Open("cpu", 1);
            devices.Add((backend, LlamaWeights.Load(backend, config, store)));
        }

        return (devices, Enumerable.Range(1, 37).ToArray());
    }

    private static void Release(List<(IComputeBackend Backend, LlamaWeights Weights)> devices)
    {
        foreach (var (backend, weights) in devices)
        {
            weights.Dispose();
            backend.Dispose();
        }
    }
}
