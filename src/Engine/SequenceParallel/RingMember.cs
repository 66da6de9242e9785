using InferMesh.Engine.Model;
using InferMesh.Kernels;

namespace InferMesh.Engine.SequenceParallel;

/// <summary>
/// One device of a sequence-parallel ring: its backend, the full model weights on it, the prompt tokens of its
/// partition, the activations of those tokens, and after prefill the keys and values of every layer for them (the KV
/// of its partition). It knows the whole partition (which positions every member holds), so it can size and mask
/// blocks that arrive from others without asking. Blocks land in double-buffered inbound tensors (slot = step
/// parity), so a block can be forwarded on while the next one is received.
/// </summary>
public sealed class RingMember : IDisposable
{
    private readonly DeviceTensor[] _keys, _values;
    private readonly LeadingRows[] _inQueries, _inQueryPositions, _inKeys, _inValues, _inKeyPositions;
    private readonly LeadingRows _partialOutput, _partialLse;
    private readonly List<DeviceTensor> _owned = [];
    private readonly Dictionary<(int Queries, int Keys, int Window), long> _pairs = [];

    /// <param name="tokenIds">The prompt's token ids at this member's positions (<see cref="SequencePartition.Positions"/>), in order.</param>
    public RingMember(int index, IComputeBackend backend, LlamaWeights weights, SequencePartition partition, IReadOnlyList<int> tokenIds)
    {
        if (index < 0 || index >= partition.Members)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the partition has members 0..{partition.Members - 1}.");
        }

        var positions = partition.Positions(index);
        if (tokenIds.Count != positions.Count)
        {
            throw new ArgumentException($"member {index} holds {positions.Count} positions of the {partition.Length}-token prompt but was given {tokenIds.Count} token ids.", nameof(tokenIds));
        }

        if (!weights.IsFirstStage || !weights.IsLastStage)
        {
            throw new ArgumentException($"member {index}: a ring member runs every layer; load all {weights.Config.NumHiddenLayers} layers (LlamaWeights.Load without a layer range).", nameof(weights));
        }

        Index = index;
        Backend = backend;
        Weights = weights;
        Partition = partition;
        PositionList = positions;
        var c = weights.Config;
        var rows = tokenIds.Count;
        var maxRows = Enumerable.Range(0, partition.Members).Max(m => partition.Positions(m).Count);
        Rows = rows;
        var qWidth = c.NumAttentionHeads * c.HeadDim;
        var kvWidth = c.NumKeyValueHeads * c.HeadDim;

        Ids = Own(backend.Allocate(rows, 1, DType.I32));
        backend.Upload(tokenIds.ToArray(), Ids);
        Positions = Own(backend.Allocate(rows, 1, DType.I32));
        backend.Upload(positions.ToArray(), Positions);
        Blocks = new DecoderBlocks(backend, weights, rows, 16);
        for (var l = 0; l < weights.Layers.Count; l++)
        {
            if (!backend.SupportsBlockAttention(Blocks.Shape(l)))
            {
                Blocks.Dispose();
                throw new NotSupportedException($"{weights.Config.Path}: {backend.DeviceName}'s block attention cannot run layer {l}'s attention (soft cap {Blocks.Shape(l).SoftCap}), which TokenRing prefill needs; prefill this model on one device.");
            }
        }

        Hidden = Own(backend.Allocate(rows, c.HiddenSize));
        Normed = Own(backend.Allocate(rows, c.HiddenSize));
        OwnRows = Own(backend.Allocate(rows, 1, DType.I32));
        backend.Upload(Enumerable.Range(0, rows).ToArray(), OwnRows);
        Qkv = Own(backend.Allocate(rows, qWidth + (2 * kvWidth)));
        Queries = Own(backend.Allocate(rows, qWidth));
        AttentionOutput = Own(backend.Allocate(rows, qWidth));
        AttentionLse = Own(backend.Allocate(rows, c.NumAttentionHeads, DType.F32));
        ReturnedOutput = Own(backend.Allocate(rows, qWidth));
        ReturnedLse = Own(backend.Allocate(rows, c.NumAttentionHeads, DType.F32));
        Projected = Own(backend.Allocate(rows, c.HiddenSize));

        _keys = new DeviceTensor[weights.Layers.Count];
        _values = new DeviceTensor[weights.Layers.Count];
        for (var l = 0; l < _keys.Length; l++)
        {
            _keys[l] = Own(backend.Allocate(rows, kvWidth, backend.ActivationType));
            _values[l] = Own(backend.Allocate(rows, kvWidth, backend.ActivationType));
        }

        LeadingRows[] Pair(int cols, DType? type = null) => [new(Own(backend.Allocate(maxRows, cols, type))), new(Own(backend.Allocate(maxRows, cols, type)))];
        _inQueries = Pair(qWidth);
        _inQueryPositions = Pair(1, DType.I32);
        _inKeys = Pair(kvWidth);
        _inValues = Pair(kvWidth);
        _inKeyPositions = Pair(1, DType.I32);
        _partialOutput = new(Own(backend.Allocate(maxRows, qWidth)));
        _partialLse = new(Own(backend.Allocate(maxRows, c.NumAttentionHeads, DType.F32)));
    }

    /// <summary>The layers' shared non-attention part (norms, MLP or experts, residuals, logits head, rotary tables), sized for this member's rows.</summary>
    public DecoderBlocks Blocks { get; }

    public int Index { get; }

    /// <summary>Members in the ring.</summary>
    public int Members => Partition.Members;

    public IComputeBackend Backend { get; }

    public LlamaWeights Weights { get; }

    /// <summary>Which positions every member holds.</summary>
    public SequencePartition Partition { get; }

    /// <summary>Tokens this member holds.</summary>
    public int Rows { get; }

    /// <summary>The absolute prompt positions of this member's rows, ascending.</summary>
    public IReadOnlyList<int> PositionList { get; }

    public DeviceTensor Ids { get; }

    /// <summary>I32 [Rows×1]: positions of the rows (rotary angles and the causal mask of both queries and keys).</summary>
    public DeviceTensor Positions { get; }

    /// <summary>Query·key score pairs this member's BlockAttention calls have computed (any member's queries): its attention work.</summary>
    public long ScorePairsComputed { get; private set; }

    public DeviceTensor Hidden { get; }

    public DeviceTensor Normed { get; }

    /// <summary>I32 [Rows×1]: 0, 1, …, Rows−1, the slots that write this member's keys and values into <see cref="Keys"/> and <see cref="Values"/>.</summary>
    public DeviceTensor OwnRows { get; }

    /// <summary>The packed q | k | v projection of the rows (before rotation).</summary>
    public DeviceTensor Qkv { get; }

    public DeviceTensor Queries { get; }

    /// <summary>This member's queries' attention, merged over every key block the schedule has visited.</summary>
    public DeviceTensor AttentionOutput { get; }

    public DeviceTensor AttentionLse { get; }

    /// <summary>Partial results for this member's queries computed elsewhere and sent back (TokenRing).</summary>
    public DeviceTensor ReturnedOutput { get; }

    public DeviceTensor ReturnedLse { get; }

    public DeviceTensor Projected { get; }

    /// <summary>Rows member <paramref name="member"/> holds.</summary>
    public int RowsOf(int member) => Partition.Positions(member).Count;

    /// <summary>Rotated keys of this member's rows at <paramref name="layer"/> (its share of the prompt's KV after prefill).</summary>
    public DeviceTensor Keys(int layer) => _keys[layer];

    public DeviceTensor Values(int layer) => _values[layer];

    public AttentionShape Shape(int layer) => Blocks.Shape(layer);

    public DeviceTensor InboundQueries(int slot, int rows) => _inQueries[slot].Take(rows);

    public DeviceTensor InboundQueryPositions(int slot, int rows) => _inQueryPositions[slot].Take(rows);

    public DeviceTensor InboundKeys(int slot, int rows) => _inKeys[slot].Take(rows);

    public DeviceTensor InboundValues(int slot, int rows) => _inValues[slot].Take(rows);

    public DeviceTensor InboundKeyPositions(int slot, int rows) => _inKeyPositions[slot].Take(rows);

    /// <summary>Scratch for a partial result this member computes (for a visiting query block, or over a visiting key block).</summary>
    public DeviceTensor PartialOutput(int rows) => _partialOutput.Take(rows);

    public DeviceTensor PartialLse(int rows) => _partialLse.Take(rows);

    /// <summary>
    /// Records the work of one BlockAttention call this member ran: the queries of member <paramref name="queryOwner"/>
    /// over the keys of member <paramref name="keyOwner"/> (pairs counted once per block shape, then cached).
    /// </summary>
    public void CountScorePairs(int queryOwner, int keyOwner, int window)
    {
        if (!_pairs.TryGetValue((queryOwner, keyOwner, window), out var pairs))
        {
            pairs = SequencePartition.VisiblePairs(Partition.Positions(queryOwner), Partition.Positions(keyOwner), window);
            _pairs[(queryOwner, keyOwner, window)] = pairs;
        }

        ScorePairsComputed += pairs;
    }

    public void Dispose()
    {
        foreach (var t in _owned)
        {
            t.Dispose();
        }

        Blocks.Dispose();
    }

    private DeviceTensor Own(DeviceTensor tensor)
    {
        _owned.Add(tensor);
        return tensor;
    }
}
