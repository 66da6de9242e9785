namespace InferMesh.Engine.Sampling;

/// <summary>
/// Token counts of one sequence and the penalties computed from them, applied exactly as vLLM's
/// <c>apply_penalties</c> (vllm/model_executor/layers/utils.py): repetition first — HF's
/// <c>RepetitionPenaltyLogitsProcessor</c>, logit &gt; 0 ? logit / r : logit · r, over tokens of the prompt and of the
/// output — then <c>logit -= frequency · count</c> and <c>logit -= presence</c> over output tokens (OpenAI's
/// definition, https://platform.openai.com/docs/advanced-usage/frequency-and-presence-penalties).
/// Only the distinct tokens seen so far are touched, so a step costs O(distinct tokens), not O(vocabulary).
/// </summary>
internal sealed class TokenPenalties
{
    private readonly float _repetition;
    private readonly float _presence;
    private readonly float _frequency;
    private readonly int[] _outputCounts;
    private readonly ulong[] _inPrompt;
    private readonly int[] _seen;
    private int _seenCount;

    public TokenPenalties(float repetition, float presence, float frequency, int vocabSize, IReadOnlyList<int>? promptTokenIds)
    {
        _repetition = repetition;
        _presence = presence;
        _frequency = frequency;
        _outputCounts = new int[vocabSize];
        _inPrompt = new ulong[(vocabSize + 63) / 64];
        _seen = new int[vocabSize];

        // Prompt tokens matter only to the repetition penalty.
        if (repetition != 1f && promptTokenIds is not null)
        {
            for (int i = 0; i < promptTokenIds.Count; i++)
            {
                int token = promptTokenIds[i];
                if ((uint)token >= (uint)vocabSize)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(promptTokenIds),
                        $"prompt token {i} is id {token}, outside the vocabulary [0, {vocabSize}); the prompt was tokenized for another model");
                }

                if (!InPrompt(token))
                {
                    _inPrompt[token >> 6] |= 1UL << token;
                    _seen[_seenCount++] = token;
                }
            }
        }
    }

    public static bool AnyActive(SamplingParams p) =>
        p.RepetitionPenalty != 1f || p.PresencePenalty != 0f || p.FrequencyPenalty != 0f;

    public void Record(int token)
    {
        if (_outputCounts[token]++ == 0 && !InPrompt(token))
        {
            _seen[_seenCount++] = token;
        }
    }

    public void Apply(Span<float> logits)
    {
        for (int i = 0; i < _seenCount; i++)
        {
            int token = _seen[i];
            float logit = logits[token];
            if (_repetition != 1f)
            {
                logit = logit > 0f ? logit / _repetition : logit * _repetition;
            }

            int count = _outputCounts[token];
            if (count > 0)
            {
                logit -= _frequency * count;
                logit -= _presence;
            }

            logits[token] = logit;
        }
    }

    private bool InPrompt(int token) => (_inPrompt[token >> 6] & (1UL << token)) != 0;
}
