using Analyzer.Datasets;
using Analyzer.Storage;
using System.CommandLine;
using System.Text.RegularExpressions;
using Analyzer.Cli;
using Analyzer.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Analyzer.Tests.Cli;

/// <summary>The declared settings: their names, how the environment and the command line layer, their checks.</summary>
public sealed partial class SettingsTests
{
    /// <summary>Parses <paramref name="arguments"/> with every setting's option, <paramref name="environment"/> standing for the ANALYZER_* variables (keys without the prefix).</summary>
    private static (SettingOptions Settings, ParseResult Parse) Parse(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var settings = new SettingOptions(new ConfigurationBuilder().AddInMemoryCollection(environment).Build());
        var command = new RootCommand();
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }
        var parse = command.Parse(arguments);
        Assert.True(parse.Errors.Count == 0, string.Join("\n", parse.Errors.Select(e => e.Message)));
        return (settings, parse);
    }

    private static string RepositoryFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Analyzer.slnx")))
            {
                return Path.Combine(directory.FullName, name);
            }
        }
        throw new FileNotFoundException("no Analyzer.slnx above the test assembly");
    }

    [GeneratedRegex(@"^\| `(--[a-z-]+)` \| `(ANALYZER_[A-Z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedOption();

    [Fact]
    public void Every_option_the_readme_documents_is_a_declared_setting_with_its_variable()
    {
        var documented = DocumentedOption().Matches(File.ReadAllText(RepositoryFile("README.md")))
            .Select(m => (Flag: m.Groups[1].Value, Variable: m.Groups[2].Value))
            .ToList();

        Assert.True(documented.Count >= 15, $"README's option tables: {documented.Count} rows found");
        Assert.All(documented, row => Assert.Contains(Settings.All, s => s.Flag == row.Flag && s.Variable == row.Variable));
    }

    [Fact]
    public async Task Serve_help_lists_every_declared_setting_with_its_variable()
    {
        var (exitCode, output, _) = await Auth.Cli.RunAsync("serve", "--help");

        Assert.Equal(0, exitCode);
        Assert.All(Settings.All, s =>
        {
            Assert.Contains(s.Flag + " ", output, StringComparison.Ordinal);
            Assert.Contains(s.Variable, output, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_command_line_wins_over_the_environment_which_wins_over_the_default()
    {
        var (settings, parse) = Parse(new Dictionary<string, string?> { ["API_PORT"] = "9000", ["MAX_UPLOAD_BYTES"] = "5" }, "--api-port", "9001");

        Assert.Equal(9001, settings.Bind<WebOptions>(parse).ApiPort);
        var datasets = settings.Bind<DatasetsOptions>(parse);
        Assert.Equal(5, datasets.MaxUploadBytes);
        Assert.Equal(new DatasetsOptions().ConfirmationTtlMinutes, datasets.ConfirmationTtlMinutes);
        // Only what was set goes to the host, as Analyzer:KEY; the rest keeps the options classes' defaults there.
        Assert.Equal(
            new Dictionary<string, string?> { ["Analyzer:API_PORT"] = "9001", ["Analyzer:MAX_UPLOAD_BYTES"] = "5" },
            settings.ToConfiguration(parse).ToDictionary());
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("ON", true)]
    [InlineData("true", true)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    [InlineData("", false)]
    public void A_boolean_variable_takes_the_usual_spellings(string text, bool expected)
    {
        var (settings, parse) = Parse(new Dictionary<string, string?> { ["NO_MIGRATE"] = text });

        Assert.Equal(expected, settings.Bind<StorageOptions>(parse).NoMigrate);
    }

    [Theory]
    [InlineData(new[] { "--no-migrate" }, true)]
    [InlineData(new[] { "--no-migrate", "false" }, false)]
    [InlineData(new string[0], false)]
    public void A_boolean_option_is_a_flag(string[] arguments, bool expected)
    {
        var (settings, parse) = Parse(new Dictionary<string, string?>(), arguments);

        Assert.Equal(expected, settings.Bind<StorageOptions>(parse).NoMigrate);
    }

    [Theory]
    [InlineData("API_PORT", "70000", new string[0], "ANALYZER_API_PORT: must be between 1 and 65535")]
    [InlineData("API_PORT", "80", new[] { "--api-port", "0" }, "--api-port: must be between 1 and 65535")]
    [InlineData("MAX_REQUEST_BODY_BYTES", "-5", new string[0], "ANALYZER_MAX_REQUEST_BODY_BYTES: must be at least 1")]
    [InlineData("LOG_FORMAT", "xml", new string[0], "ANALYZER_LOG_FORMAT: must be one of: json, text")]
    [InlineData("AUTH_CLOCK_SKEW", "-1", new string[0], "ANALYZER_AUTH_CLOCK_SKEW: must be at least 0")]
    public void A_value_against_the_declaration_is_one_line_naming_where_it_came_from(string key, string value, string[] arguments, string expected)
    {
        var (settings, parse) = Parse(new Dictionary<string, string?> { [key] = value }, arguments);

        Assert.Equal(expected, settings.Validate(parse));
    }

    [Fact]
    public void A_bad_database_url_is_refused_without_repeating_it()
    {
        var (settings, parse) = Parse(new Dictionary<string, string?> { ["DB"] = "mysql://analyzer:s3cret@db/analyzer" });

        var error = settings.Validate(parse);

        Assert.NotNull(error);
        Assert.StartsWith("ANALYZER_DB: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_no_setting_declares_fails_the_start()
    {
        // A key of the scheme before the declared settings (property names, not variable names).
        await using var app = Program.BuildWebApp(
            new Dictionary<string, string?> { ["Analyzer:DB"] = "sqlite:data/never-created.db", ["Analyzer:MaxUploadBytes"] = "4096" },
            "http://127.0.0.1:0");

        var failure = Assert.Throws<OptionsValidationException>(app.Services.GetRequiredService<IStartupValidator>().Validate);

        Assert.StartsWith("unknown setting Analyzer:MaxUploadBytes;", failure.Message, StringComparison.Ordinal);
    }
}
