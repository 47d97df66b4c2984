using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Analyzer.Imports;

namespace Analyzer.Web;

/// <summary>
/// The check every JSON request body passes before a reader looks at it: exactly one JSON value (whitespace
/// around it allowed), every property name and string valid Unicode (no invalid UTF-8, no unpaired surrogate
/// escape such as <c>"\ud800"</c>) and no string holding NUL (<see cref="TextRule"/>).
/// After it, <see cref="Utf8JsonReader.GetString"/>, <see cref="JsonProperty.Name"/> and the like cannot throw.
/// Errors name the field (<c>citizens[0].town</c>, <c>jti</c>); syntax errors are at <c>$</c>, with a line and
/// column a person can find, not System.Text.Json's zero-based positions.
/// </summary>
public static partial class JsonBody
{
    /// <summary>The reader options of every JSON body: no comments, no trailing commas, depth 64.</summary>
    public static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 64,
    };

    public const string InvalidTextMessage = "is not valid Unicode text (invalid UTF-8, or an unpaired surrogate escape \\uD800–\\uDFFF)";

    public const string InvalidNameMessage = "this field name is not valid Unicode text (invalid UTF-8, or an unpaired surrogate escape \\uD800–\\uDFFF)";

    /// <summary>Checks <paramref name="body"/>; false (with the reasons in <paramref name="errors"/>) when a reader must not look at it.</summary>
    public static bool Check(ReadOnlySequence<byte> body, ValidationErrors errors)
    {
        var before = errors.Count;
        // Where we are: per open container, an array index or the start of the current property name in the body.
        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                errors.Add("$", "the body is empty: send a JSON object");
                return false;
            }
            do
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        CountElement(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, -1, -1));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        frames[^1] = frames[^1] with { NameStart = reader.TokenStartIndex };
                        if (!IsValidText(ref reader, out _))
                        {
                            errors.Add(PathOf(body, frames), InvalidNameMessage);
                        }
                        break;
                    case JsonTokenType.String:
                        CountElement(frames);
                        if (!IsValidText(ref reader, out var hasNul))
                        {
                            errors.Add(PathOf(body, frames), InvalidTextMessage);
                        }
                        else if (hasNul)
                        {
                            errors.Add(PathOf(body, frames), TextRule.NulMessage);
                        }
                        break;
                    default:
                        CountElement(frames);
                        break;
                }
            }
            while (frames.Count > 0 && reader.Read());
            // One value, then nothing but whitespace: reading on throws for anything else.
            if (reader.Read())
            {
                errors.Add("$", "unexpected content after the JSON value: send one JSON object and nothing after it");
            }
        }
        catch (JsonException e)
        {
            errors.Add("$", NotJson(e));
        }
        return errors.Count == before;
    }

    /// <summary>"the body is not valid JSON: ..." with the reader's reason and a 1-based line and column (in bytes).</summary>
    private static string NotJson(JsonException e)
    {
        var reason = Positions().Replace(e.Message, "").Trim();
        if (reason.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            reason = "it is empty";
        }
        else if (reason.Contains("open JSON object or array", StringComparison.Ordinal) || reason.Contains("isFinalBlock", StringComparison.Ordinal))
        {
            reason = "it ends before its last object or array is closed";
        }
        var where = e.LineNumber is { } line && e.BytePositionInLine is { } column ? $" (line {line + 1}, column {column + 1})" : "";
        return $"the body is not valid JSON: {reason.TrimEnd('.')}{where}";
    }

    // " LineNumber: 0 | BytePositionInLine: 14." and the " Path: $.x" that the serializer adds.
    [GeneratedRegex(@"\s*(Path: \S*\s*\|\s*)?LineNumber: \d+ \| BytePositionInLine: \d+\.?")]
    private static partial Regex Positions();

    private readonly record struct Frame(bool IsArray, int Index, long NameStart);

    private static void CountElement(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
        }
    }

    /// <summary>Valid UTF-8 once unescaped, and whether it holds NUL; without allocating.</summary>
    private static bool IsValidText(ref Utf8JsonReader reader, out bool hasNul)
    {
        hasNul = false;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            // Unescaped JSON strings cannot hold control characters, so no NUL either.
            return Utf8.IsValid(reader.ValueSpan);
        }
        var length = checked((int)(reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length));
        byte[]? rented = null;
        Span<byte> buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            int written;
            try
            {
                written = reader.CopyString(buffer);
            }
            catch (InvalidOperationException)
            {
                return false; // an unpaired surrogate escape
            }
            var text = buffer[..written];
            hasNul = text.Contains((byte)0);
            return Utf8.IsValid(text);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The JSON path of the current value (<c>citizens[0].town</c>), read back from the body only when an error needs it.</summary>
    private static string PathOf(ReadOnlySequence<byte> body, List<Frame> frames)
    {
        var path = new StringBuilder();
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.NameStart >= 0)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }
                path.Append(NameAt(body, frame.NameStart));
            }
        }
        return path.Length == 0 ? "$" : path.ToString();
    }

    /// <summary>
    /// The property name that starts at <paramref name="start"/>, unescaped; a name that is not valid text as
    /// written (escapes kept, invalid bytes shown as U+FFFD). 60 characters at most.
    /// </summary>
    private static string NameAt(ReadOnlySequence<byte> body, long start)
    {
        var reader = new Utf8JsonReader(body.Slice(start), isFinalBlock: false, state: default);
        reader.Read(); // the name, read as a string value
        string name;
        try
        {
            name = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            name = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
        }
        return name.Length <= 60 ? name : name[..60] + "…";
    }
}
