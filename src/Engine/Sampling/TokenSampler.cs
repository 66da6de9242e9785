using System.Numerics;
using System.Numerics.Tensors;
using InferMesh.Engine.Serving;

namespace InferMesh.Engine.Sampling;

/// <summary>
/// Picks the next token of one sequence from its fp32 logits. Create one per sequence; it holds the sequence's
/// random generator and token counts. Order of operations: penalties as vLLM applies them (<see cref="TokenPenalties"/>)
/// → temperature (below <see cref="GreedyBelowTemperature"/>: argmax, lowest id on ties) → top-k → top-p → min-p, HF
/// transformers' warper order (vLLM V1 applies min-p before top-k/top-p, which can give a different nucleus) → an
/// inverse-CDF draw from the renormalised rest. Top-k keeps ties with the k-th logit; among equal logits top-p ranks
/// lower ids first.
/// <para>
/// Reproducible: the same seed and the same logits give the same tokens on any machine and .NET version — the
/// generator is our xoshiro256** (<see cref="Xoshiro256StarStar"/>), exp and sums are <see cref="ReproducibleMath"/>,
/// and ranking is a total order (logit, then id). The tests pin the draws to an independent C program and pass with
/// SIMD off and at 128, 256 and 512 bits. Without a seed a random one is drawn; <see cref="Seed"/> tells which.
/// </para>
/// <para>
/// Logprobs are vLLM's default <c>logprobs_mode="raw_logprobs"</c>: log-softmax of the logits exactly as the model
/// produced them — before penalties, temperature and truncation — so they describe the model, not the sampler's
/// reshaped distribution.
/// </para>
/// After construction, <see cref="Sample(Span{float})"/> allocates nothing unless logprobs are requested (then one
/// <see cref="TokenLogprob"/> per token). Memory per sampler: nothing for plain greedy; 8 bytes per vocabulary entry
/// for penalties, 4 for logprobs, and a <see cref="SamplingWorkspace"/> (shareable) when sampling or logprobs.
/// Not thread-safe; one call at a time per sampler and per <see cref="SamplingWorkspace"/>.
/// </summary>
public sealed class TokenSampler
{
    /// <summary>Temperatures below this sample greedily, as in vLLM (<c>_SAMPLING_EPS</c>); dividing by them only overflows.</summary>
    public const float GreedyBelowTemperature = 1e-5f;

    private readonly SamplingParams _parameters;
    private readonly int _vocabSize;
    private readonly bool _greedy;
    private readonly int _topK;
    private readonly Xoshiro256StarStar _random;
    private readonly TokenPenalties? _penalties;
    private readonly SamplingWorkspace? _workspace;
    private readonly float[]? _rawLogits;
    private readonly int[]? _topLogprobIds;
    private readonly int[] _biasIds = [];
    private readonly float[] _biases = [];
    private readonly IOutputConstraint? _constraint;

    /// <param name="parameters">Validated here (<see cref="SamplingParams.Validate"/>).</param>
    /// <param name="vocabSize">Length of the logits row passed to <see cref="Sample(Span{float})"/>.</param>
    /// <param name="promptTokenIds">Needed only for the repetition penalty, which also covers the prompt.</param>
    /// <param name="workspace">Scratch shared with other samplers used on the same thread; null allocates a private one.</param>
    /// <param name="constraint">Masks tokens that would break a required output format (after biases and penalties; logprobs stay unconstrained).</param>
    public TokenSampler(SamplingParams parameters, int vocabSize, IReadOnlyList<int>? promptTokenIds = null, SamplingWorkspace? workspace = null, IOutputConstraint? constraint = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);

        _parameters = parameters;
        _vocabSize = vocabSize;
        _greedy = parameters.Temperature < GreedyBelowTemperature;
        _topK = parameters.TopK > 0 && parameters.TopK < vocabSize ? parameters.TopK : 0;
        Seed = parameters.Seed ?? Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        _random = new Xoshiro256StarStar(Seed);
        _constraint = constraint;

        if (parameters.LogitBias is { Count: > 0 } bias)
        {
            _biasIds = new int[bias.Count];
            _biases = new float[bias.Count];
            var at = 0;
            foreach (var (id, value) in bias)
            {
                (_biasIds[at], _biases[at]) = (id, value);
                at++;
            }

            foreach (var id in _biasIds)
            {
                if ((uint)id >= (uint)vocabSize)
                {
                    throw new ArgumentException($"logit_bias names token {id}, outside this model's vocabulary of {vocabSize} tokens (ids 0..{vocabSize - 1}).", "logit_bias");
                }
            }
        }

        if (TokenPenalties.AnyActive(parameters))
        {
            _penalties = new TokenPenalties(
                parameters.RepetitionPenalty, parameters.PresencePenalty, parameters.FrequencyPenalty, vocabSize, promptTokenIds);
        }

        if (!_greedy || parameters.Logprobs)
        {
            if (workspace is not null && workspace.VocabSize < vocabSize)
            {
                throw new ArgumentException(
                    $"the workspace holds {workspace.VocabSize} tokens but the vocabulary has {vocabSize}; create it with new SamplingWorkspace({vocabSize})",
                    nameof(workspace));
            }

            _workspace = workspace ?? new SamplingWorkspace(vocabSize);
        }

        if (parameters.Logprobs)
        {
            _rawLogits = new float[vocabSize];
            _topLogprobIds = new int[parameters.TopLogprobs];
        }
    }

    /// <summary>The seed in use: the request's, or the random one drawn for an unseeded request.</summary>
    public long Seed { get; }

    public int VocabSize => _vocabSize;

    /// <summary>Picks a token and counts it as output for the penalties. May overwrite <paramref name="logits"/>.</summary>
    public int Sample(Span<float> logits) => Sample(logits, out _);

    /// <summary>
    /// Picks a token and counts it as output for the penalties. May overwrite <paramref name="logits"/>.
    /// <paramref name="logprob"/> is null unless <see cref="SamplingParams.Logprobs"/> was requested.
    /// </summary>
    public int Sample(Span<float> logits, out TokenLogprob? logprob)
    {
        if (logits.Length != _vocabSize)
        {
            throw new ArgumentException(
                $"logits has {logits.Length} entries but this sampler was built for a vocabulary of {_vocabSize}; pass exactly one row of the lm_head output",
                nameof(logits));
        }

        if (_rawLogits is not null)
        {
            logits.CopyTo(_rawLogits);
        }

        for (var i = 0; i < _biasIds.Length; i++)
        {
            logits[_biasIds[i]] += _biases[i];
        }

        _penalties?.Apply(logits);
        _constraint?.Mask(logits);

        float max = TensorPrimitives.Max(logits);
        ThrowIfUnsampleable(logits, max);
        double rawLogSumExp = _rawLogits is null ? 0 : LogSumExp(_rawLogits, _workspace!.Weights);

        int token = _greedy || float.IsPositiveInfinity(max) ? FirstIndexOf(logits, max) : Draw(logits, max);
        _penalties?.Record(token);
        _constraint?.Advance(token);
        logprob = _rawLogits is null ? null : BuildLogprob(token, rawLogSumExp);
        return token;
    }

    /// <summary>Counts a token that joined the output without <see cref="Sample(Span{float})"/> (Sample counts its own).</summary>
    public void Accept(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenId, _vocabSize);
        _penalties?.Record(tokenId);
        _constraint?.Advance(tokenId);
    }

    /// <summary>Applies the repetition, presence and frequency penalties of the tokens seen so far, in place (Sample's first step).</summary>
    public void ApplyPenalties(Span<float> logits) => _penalties?.Apply(logits);

    private int Draw(Span<float> logits, float max)
    {
        float temperature = _parameters.Temperature;
        float shift = max;
        if (temperature != 1f)
        {
            DivideInPlace(logits, temperature);
            shift = max / temperature;
        }

        var workspace = _workspace!;
        float[] weights = workspace.Weights;
        int[] ranked = workspace.Ranked;
        if (_topK > 0)
        {
            int count = CandidateRanking.SelectBest(logits, ranked.AsSpan(0, _topK));
            count = CandidateRanking.AppendTiesOfLast(logits, ranked, count);
            double total = 0;
            for (int j = 0; j < count; j++)
            {
                float weight = ReproducibleMath.Exp(logits[ranked[j]] - shift);
                weights[ranked[j]] = weight;
                total += weight;
            }

            if (_parameters.TopP < 1f)
            {
                count = NucleusSelection.OfRanked(ranked.AsSpan(0, count), weights, _parameters.TopP * total);
            }

            return DrawRanked(ranked.AsSpan(0, count), weights);
        }

        ReproducibleMath.ExpShifted(logits, shift, weights);
        if (_parameters.TopP < 1f)
        {
            double total = ReproducibleMath.Sum(weights.AsSpan(0, _vocabSize));
            int count = NucleusSelection.OfVocabulary(logits, shift, weights, ranked, workspace.BucketMass, _parameters.TopP * total);
            return DrawRanked(ranked.AsSpan(0, count), weights);
        }

        if (_parameters.MinP > 0f)
        {
            // As in DrawRanked: the most likely token has weight 1, so the floor is min_p itself.
            ZeroBelow(weights.AsSpan(0, _vocabSize), _parameters.MinP);
        }

        return DrawBlocked(weights.AsSpan(0, _vocabSize), workspace.BlockSums);
    }

    /// <summary>Min-p over the kept tokens, then an inverse-CDF draw in their order.</summary>
    private int DrawRanked(ReadOnlySpan<int> kept, float[] weights)
    {
        // The most likely token has weight exactly 1 (exp(0)), so min_p · max prob is min_p itself.
        float floor = _parameters.MinP;
        double total = 0;
        foreach (int id in kept)
        {
            if (weights[id] >= floor)
            {
                total += weights[id];
            }
        }

        double target = _random.NextDouble() * total;
        double cumulative = 0;
        int lastPositive = kept[0];
        foreach (int id in kept)
        {
            float weight = weights[id];
            if (weight > 0f && weight >= floor)
            {
                cumulative += weight;
                lastPositive = id;
                if (target < cumulative)
                {
                    return id;
                }
            }
        }

        return lastPositive;
    }

    /// <summary>Inverse-CDF draw over the whole vocabulary: find the block by block sums, then the token inside it.</summary>
    private int DrawBlocked(ReadOnlySpan<float> weights, double[] blockSums)
    {
        int blockSize = SamplingWorkspace.BlockSize;
        int blocks = (weights.Length + blockSize - 1) / blockSize;
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            int start = b * blockSize;
            blockSums[b] = ReproducibleMath.Sum(weights.Slice(start, Math.Min(blockSize, weights.Length - start)));
            total += blockSums[b];
        }

        double target = _random.NextDouble() * total;
        double cumulative = 0;
        for (int b = 0; b < blocks; b++)
        {
            double next = cumulative + blockSums[b];
            if (target < next)
            {
                int start = b * blockSize;
                int end = Math.Min(start + blockSize, weights.Length);
                double inner = cumulative;
                int lastPositive = -1;
                for (int i = start; i < end; i++)
                {
                    if (weights[i] > 0f)
                    {
                        inner += weights[i];
                        lastPositive = i;
                        if (target < inner)
                        {
                            return i;
                        }
                    }
                }

                // The in-block running sum rounded below the block sum: the target sits in the block's last sliver.
                return lastPositive;
            }

            cumulative = next;
        }

        // target rounded up to total: the last token with any weight.
        return weights.LastIndexOfAnyExcept(0f);
    }

    private TokenLogprob BuildLogprob(int token, double logSumExp)
    {
        float[] raw = _rawLogits!;
        int[] ids = _topLogprobIds!;
        int count = CandidateRanking.SelectBest(raw, ids);
        var alternatives = new (int TokenId, float Logprob)[count];
        for (int j = 0; j < count; j++)
        {
            alternatives[j] = (ids[j], (float)(raw[ids[j]] - logSumExp));
        }

        return new TokenLogprob(token, (float)(raw[token] - logSumExp), alternatives);
    }

    private static double LogSumExp(ReadOnlySpan<float> logits, float[] scratch)
    {
        float max = TensorPrimitives.Max(logits);
        ReproducibleMath.ExpShifted(logits, max, scratch);
        return max + Math.Log(ReproducibleMath.Sum(scratch.AsSpan(0, logits.Length)));
    }

    private static void ThrowIfUnsampleable(ReadOnlySpan<float> logits, float max)
    {
        if (float.IsNaN(max))
        {
            throw new InvalidOperationException(
                $"logit of token {FirstNaN(logits)} is NaN; the forward pass produced NaN (fp16 overflow, bad weights or a kernel bug) and no token can be sampled");
        }

        if (float.IsNegativeInfinity(max))
        {
            throw new InvalidOperationException("every logit is -inf (every token masked); no token can be sampled");
        }
    }

    private static int FirstNaN(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Lowest index holding <paramref name="target"/>: argmax with ties to the lowest token id.</summary>
    private static int FirstIndexOf(ReadOnlySpan<float> values, float target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var wanted = new Vector<float>(target);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                if (Vector.EqualsAny(new Vector<float>(values[i..]), wanted))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (values[i] == target)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"the maximum logit {target} was not found again; logits changed while sampling");
    }

    /// <summary>Element-wise IEEE division (never a reciprocal multiply), so every machine gets the same bits.</summary>
    private static void DivideInPlace(Span<float> values, float divisor)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var d = new Vector<float>(divisor);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (new Vector<float>(values[i..]) / d).CopyTo(values[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] /= divisor;
        }
    }

    private static void ZeroBelow(Span<float> weights, float threshold)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] < threshold)
            {
                weights[i] = 0f;
            }
        }
    }
}
