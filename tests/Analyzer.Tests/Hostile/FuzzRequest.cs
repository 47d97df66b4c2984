using System.Text;

namespace Analyzer.Tests.Hostile;

/// <summary>
/// One fuzz case: a request as bytes and text, nothing sent yet. <see cref="Authorization"/> null means the run's valid
/// token, empty means no Authorization header. Shared by the test suite and the bench's <c>fuzz</c> verb.
/// </summary>
public sealed record FuzzRequest(
    string Kind,
    string Method,
    string Path,
    byte[]? Body = null,
    string? ContentType = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    string? Authorization = null)
{
    /// <summary>What a failure report shows: the kind, the request line and the start of the body, escaped.</summary>
    public string Describe()
    {
        var text = new StringBuilder($"[{Kind}] {Method} {Escape(Path, 300)}");
        if (Authorization is { } authorization)
        {
            text.Append(" | Authorization: ").Append(Escape(authorization, 300));
        }
        foreach (var (name, value) in Headers ?? [])
        {
            text.Append(" | ").Append(name).Append(": ").Append(Escape(value, 200));
        }
        if (Body is { } body)
        {
            text.Append(" | ").Append(ContentType ?? "(no content type)").Append(", ").Append(body.Length).Append(" bytes: ")
                .Append(Escape(Encoding.Latin1.GetString(body, 0, Math.Min(body.Length, 400)), 400));
        }
        return text.ToString();
    }

    private static string Escape(string text, int max)
    {
        var escaped = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            escaped.Append(c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}");
        }
        return text.Length > max ? escaped + "…" : escaped.ToString();
    }
}

/// <summary>What the cases aim at: an import, one of its citizens, a dataset with a row 1, and the credentials of the run.</summary>
public sealed record FuzzTargets(long ImportId, int CitizenId, string Dataset, string ValidToken, byte[] Secret, string Issuer, string Audience);
