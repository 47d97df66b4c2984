namespace Analyzer.Web;

/// <summary>
/// The rule for every text a client hands in (JSON strings, query values, file names): no NUL (U+0000).
/// PostgreSQL cannot store it (22021) and SQLite would, so both refuse it with a 400 instead.
/// </summary>
public static class TextRule
{
    public const string NulMessage = "must not contain the NUL character (U+0000)";

    public static bool HasNul(ReadOnlySpan<char> text) => text.Contains('\0');
}
