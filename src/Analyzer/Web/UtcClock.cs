namespace Analyzer.Web;

public static class UtcClock
{
    /// <summary>Today's date in UTC, the date the contract measures birth dates and ages against.</summary>
    public static DateOnly UtcToday(this TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
}
