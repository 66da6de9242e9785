namespace InferMesh.Engine.Serving;

/// <summary>Keys and values of a session's positions, per layer, as fp32 rows [tokens × kv heads·head dim].</summary>
public sealed record SessionKv(float[][] Keys, float[][] Values)
{
    /// <summary>
    /// Per layer, ‖K − K_ref‖ / ‖K_ref‖ and the same for V over all positions (relative L2 deviation, CacheBlend's
    /// KV-deviation measure, Yao et al. 2024 §4), against <paramref name="reference"/> of the same shape.
    /// </summary>
    public (double Keys, double Values)[] DeviationFrom(SessionKv reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Keys.Length != Keys.Length)
        {
            throw new ArgumentException($"reference has {reference.Keys.Length} layers, this has {Keys.Length}.", nameof(reference));
        }

        var result = new (double, double)[Keys.Length];
        for (var l = 0; l < Keys.Length; l++)
        {
            result[l] = (Relative(Keys[l], reference.Keys[l]), Relative(Values[l], reference.Values[l]));
        }

        return result;
    }

    private static double Relative(float[] actual, float[] expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"rows differ in size: {actual.Length} vs {expected.Length} values.");
        }

        double difference = 0, norm = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            difference += d * d;
            norm += (double)expected[i] * expected[i];
        }

        return norm == 0 ? (difference == 0 ? 0 : double.PositiveInfinity) : Math.Sqrt(difference / norm);
    }
}
