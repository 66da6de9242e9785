namespace InferMesh.Cli.Cluster;

/// <summary>Samples of one latency (seconds) with nearest-rank percentiles.</summary>
internal sealed class LatencyStats
{
    private readonly List<double> _samples = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _samples.Count;
            }
        }
    }

    public void Add(double seconds)
    {
        lock (_gate)
        {
            _samples.Add(seconds);
        }
    }

    /// <summary>The p-th percentile (0–100) by nearest rank; NaN without samples.</summary>
    public double Percentile(double p)
    {
        lock (_gate)
        {
            if (_samples.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _samples.Order().ToArray();
            var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }

    public double Mean
    {
        get
        {
            lock (_gate)
            {
                return _samples.Count == 0 ? double.NaN : _samples.Average();
            }
        }
    }
}
