namespace InferMesh.Engine.Tests.Templates;

/// <summary>A clock stopped at one instant, local time UTC, so strftime_now renders reproducibly.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    /// <summary>The instant the fixture generators (hf_environment.py FIXED_NOW) render strftime_now with: 2025-07-10 12:00.</summary>
    public static readonly FixedClock ReferenceInstant = new(new DateTimeOffset(2025, 7, 10, 12, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => now;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
