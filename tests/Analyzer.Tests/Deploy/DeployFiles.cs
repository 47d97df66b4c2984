using System.Diagnostics;
using System.Text.RegularExpressions;
using Analyzer.Web;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace Analyzer.Tests.Deploy;

/// <summary>The files of <c>deploy/</c> (and the repository around them), read as the tests need them.</summary>
internal static partial class DeployFiles
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Analyzer.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException("no Analyzer.slnx above the test assembly");
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Every file under deploy/ (relative paths, '/'-separated), the secrets folder aside.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        .. Directory.EnumerateFiles(PathOf("deploy"), "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(Root, file).Replace('\\', '/'))
            .Where(file => !file.StartsWith("deploy/secrets/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal),
    ];

    public static IReadOnlyList<string> YamlFiles { get; } = [.. All.Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))];

    /// <summary>
    /// Variables the deployment files set for features that are not built yet, with the issue that builds them. The
    /// service ignores an ANALYZER_* variable no setting declares, so setting them today is harmless; every other
    /// ANALYZER_* variable in deploy/ must be a declared setting (<see cref="Settings.All"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> NotYetDeclared = new Dictionary<string, string>();

    [GeneratedRegex(@"\bANALYZER_[A-Z0-9_]*[A-Z0-9]\b")]
    public static partial Regex Variable();

    /// <summary>Every YAML document of <paramref name="relative"/> as plain values: maps, lists and scalars (text).</summary>
    public static IReadOnlyList<object?> YamlDocuments(string relative) => ParseYaml(Read(relative));

    public static IReadOnlyList<object?> ParseYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(document => Plain(document.RootNode))];
    }

    private static object? Plain(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(pair => ((YamlScalarNode)pair.Key).Value!, pair => Plain(pair.Value), StringComparer.Ordinal),
        YamlSequenceNode list => list.Children.Select(Plain).ToList(),
        YamlScalarNode scalar => scalar.Value,
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType} at {node.Start}"),
    };

    /// <summary>The map at <paramref name="path"/> (dot-separated keys) below <paramref name="node"/>; fails the test when absent.</summary>
    public static Dictionary<string, object?> Map(object? node, string path = "")
    {
        var value = At(node, path);
        return Assert.IsType<Dictionary<string, object?>>(value, exactMatch: false);
    }

    public static List<object?> List(object? node, string path) => Assert.IsType<List<object?>>(At(node, path), exactMatch: false);

    public static string Text(object? node, string path) => Assert.IsType<string>(At(node, path));

    public static object? At(object? node, string path)
    {
        foreach (var key in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var map = Assert.IsType<Dictionary<string, object?>>(node, exactMatch: false);
            Assert.True(map.TryGetValue(key, out node), $"no '{key}' (of {path}) among: {string.Join(", ", map.Keys)}");
        }
        return node;
    }

    public static bool Has(object? node, string path)
    {
        foreach (var key in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The first reason the service refuses these ANALYZER_* values (as the CLI reads them: a value of the wrong type,
    /// or against the setting's rules); null when it accepts them all. Variables no setting declares are left out.
    /// </summary>
    public static string? RefusedSettings(IEnumerable<KeyValuePair<string, string>> variables)
    {
        var declared = variables
            .Where(v => Settings.All.Any(s => s.Variable == v.Key))
            .ToDictionary(v => v.Key[Settings.VariablePrefix.Length..], v => (string?)v.Value);
        var settings = new Analyzer.Cli.SettingOptions(new ConfigurationBuilder().AddInMemoryCollection(declared).Build());
        var command = new System.CommandLine.RootCommand();
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }
        var parse = command.Parse([]);
        return parse.Errors.Count > 0 ? string.Join("; ", parse.Errors.Select(e => e.Message)) : settings.Validate(parse);
    }

    /// <summary>The program's full path when it is on PATH (or at one of <paramref name="alsoAt"/>), else null.</summary>
    public static string? Program(string name, params string[] alsoAt) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .Concat(alsoAt)
            .FirstOrDefault(File.Exists);

    /// <summary>Whether a missing tool (nginx, systemd-analyze) fails its test instead of skipping it: CI installs them and sets this.</summary>
    public static bool ToolsRequired => Environment.GetEnvironmentVariable("ANALYZER_REQUIRE_DEPLOY_TOOLS") == "1";

    /// <summary>Runs a program to its end (bounded): exit code, stdout, stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, IEnumerable<string> arguments,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not end within {timeout ?? TimeSpan.FromMinutes(2)}");
        }
        return (process.ExitCode, await output, await error);
    }
}
