namespace InferMesh.Grains.ChunkCache;

/// <summary>How silos keep the chunk directory current (configuration section <c>InferMesh:ChunkDirectory</c>).</summary>
public sealed class ChunkDirectoryOptions
{
    public const string Section = "InferMesh:ChunkDirectory";

    /// <summary>
    /// How long changes are gathered before they are reported: changes to one chunk within it become one report.
    /// </summary>
    public TimeSpan ReportDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often every chunk this silo holds is reported again, so a directory entry that lost its activation (its
    /// silo died, or it was collected while idle) learns its copies back.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before reports that failed are sent again.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Reports sent at once.</summary>
    public int MaxConcurrentReports { get; set; } = 32;
}
