using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Analyzer.Tests.Deploy;

/// <summary>One instruction of a Dockerfile: its keyword (upper case), its arguments (continuation lines joined), its first line.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The arguments as words, the leading <c>--flag=value</c> options apart.</summary>
    public (IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Words) Split()
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var words = new List<string>();
        foreach (var word in Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (words.Count == 0 && word.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = word.IndexOf('=', StringComparison.Ordinal);
                flags[equals < 0 ? word[2..] : word[2..equals]] = equals < 0 ? "" : word[(equals + 1)..];
            }
            else
            {
                words.Add(word);
            }
        }
        return (flags, words);
    }
}

/// <summary>A stage: its FROM image and name, and its instructions after the FROM.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    /// <summary>The variables ENV sets in this stage, the later one winning.</summary>
    public IReadOnlyDictionary<string, string> Environment =>
        All("ENV").SelectMany(i => Dockerfile.KeyValues(i.Arguments)).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
}

/// <summary>
/// Reads a Dockerfile as Docker's parser does for what these tests check: comment lines (parser directives are
/// comments too) and blank lines dropped, lines ending with the escape character (\) joined to the next, the first
/// word the instruction. An unknown instruction, a dangling continuation or a JSON (exec) form that is not an array of
/// strings is a <see cref="FormatException"/> naming the line. A hand-written reader: no .NET package parses
/// Dockerfiles, and the rules needed here are a few lines of the Dockerfile reference.
/// </summary>
internal static partial class Dockerfile
{
    private static readonly HashSet<string> Keywords =
    [
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
        "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    ];

    public static IReadOnlyList<DockerInstruction> Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        StringBuilder? current = null;
        var firstLine = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue; // comments and blank lines are removed even inside a continued instruction, as Docker does
            }
            if (current is null)
            {
                current = new StringBuilder();
                firstLine = i + 1;
            }
            if (line.EndsWith('\\'))
            {
                current.Append(line[..^1]).Append(' ');
                continue;
            }
            current.Append(line);
            instructions.Add(Instruction(current.ToString(), firstLine));
            current = null;
        }
        if (current is not null)
        {
            throw new FormatException($"line {firstLine}: the instruction continues (\\) past the end of the file");
        }
        return instructions;
    }

    private static DockerInstruction Instruction(string text, int line)
    {
        var space = text.IndexOfAny([' ', '\t']);
        var keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
        var arguments = space < 0 ? "" : text[(space + 1)..].Trim();
        if (!Keywords.Contains(keyword))
        {
            throw new FormatException($"line {line}: unknown instruction '{keyword}'");
        }
        if (arguments.Length == 0)
        {
            throw new FormatException($"line {line}: {keyword} without arguments");
        }
        var exec = keyword == "HEALTHCHECK" ? HealthCheckCommand(arguments) : arguments;
        if (keyword is "CMD" or "ENTRYPOINT" or "VOLUME" or "SHELL" or "HEALTHCHECK" && exec.StartsWith('['))
        {
            _ = ExecForm(exec, line);
        }
        return new DockerInstruction(keyword, arguments, line);
    }

    /// <summary>The JSON (exec) form as its words.</summary>
    public static string[] ExecForm(string arguments, int line = 0)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(arguments) is { Length: > 0 } words && words.All(w => w is not null)
                ? words
                : throw new FormatException($"line {line}: an empty exec form");
        }
        catch (JsonException e)
        {
            throw new FormatException($"line {line}: the exec form is not a JSON array of strings: {e.Message}", e);
        }
    }

    /// <summary>What follows CMD in <c>HEALTHCHECK [--option=value ...] CMD ...</c>.</summary>
    public static string HealthCheckCommand(string arguments)
    {
        var match = HealthCheck().Match(arguments);
        return match.Success ? match.Groups[1].Value.Trim() : arguments;
    }

    [GeneratedRegex(@"^(?:--[a-z-]+=\S+\s+)*CMD\s+(.*)$", RegexOptions.Singleline)]
    private static partial Regex HealthCheck();

    /// <summary>The stages: each FROM opens one (ARGs before the first FROM belong to none).</summary>
    public static IReadOnlyList<DockerStage> Stages(IReadOnlyList<DockerInstruction> instructions)
    {
        var stages = new List<DockerStage>();
        string? image = null, name = null;
        var body = new List<DockerInstruction>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                if (image is not null)
                {
                    stages.Add(new DockerStage(image, name, body));
                }
                var (_, words) = instruction.Split();
                image = words[0];
                name = words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2]
                    : words.Count == 1 ? null
                    : throw new FormatException($"line {instruction.Line}: FROM IMAGE [AS NAME], not '{instruction.Arguments}'");
                body = [];
            }
            else if (image is null && instruction.Keyword != "ARG")
            {
                throw new FormatException($"line {instruction.Line}: {instruction.Keyword} before the first FROM");
            }
            else if (image is not null)
            {
                body.Add(instruction);
            }
        }
        if (image is not null)
        {
            stages.Add(new DockerStage(image, name, body));
        }
        return stages;
    }

    /// <summary>The pairs of <c>ENV</c>/<c>LABEL</c>: <c>key=value</c> (value quoted or not), or the older <c>ENV key value</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> KeyValues(string arguments)
    {
        var first = arguments.Split(' ', 2)[0];
        if (!first.Contains('=', StringComparison.Ordinal))
        {
            yield return KeyValuePair.Create(first, arguments.Split(' ', 2) is [_, var rest] ? rest.Trim() : "");
            yield break;
        }
        foreach (Match pair in Pair().Matches(arguments))
        {
            var value = pair.Groups[2].Value;
            if (value.StartsWith('"') && value.EndsWith('"') && value.Length >= 2)
            {
                value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal);
            }
            yield return KeyValuePair.Create(pair.Groups[1].Value, value);
        }
    }

    [GeneratedRegex("""([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|\S*)""")]
    private static partial Regex Pair();
}

/// <summary>A .dockerignore's patterns (Go's filepath.Match with ** as Docker adds it, and ! exceptions).</summary>
internal sealed class DockerIgnore(string text)
{
    private readonly (Regex Pattern, bool Exception)[] rules =
    [
        .. text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => (ToRegex(line.TrimStart('!').Trim('/')), line.StartsWith('!'))),
    ];

    private static Regex ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(pattern[i] switch { '*' => "[^/]*", '?' => "[^/]", var c => Regex.Escape(c.ToString()) });
            }
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    /// <summary>Whether <paramref name="path"/> (relative to the context, '/'-separated) is left out: it or a folder above it matches, the last rule winning.</summary>
    public bool Excludes(string path)
    {
        var segments = path.Trim('/').Split('/');
        var excluded = false;
        foreach (var (pattern, exception) in rules)
        {
            for (var n = 1; n <= segments.Length; n++)
            {
                if (pattern.IsMatch(string.Join('/', segments.Take(n))))
                {
                    excluded = !exception;
                    break;
                }
            }
        }
        return excluded;
    }
}
