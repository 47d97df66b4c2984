using System.CommandLine;
using System.CommandLine.Parsing;
using System.Linq.Expressions;
using System.Reflection;
using Analyzer.Web;

namespace Analyzer.Cli;

/// <summary>
/// The command-line options of the declared settings (<see cref="Settings"/>, where the scheme is explained), one
/// <see cref="Option{T}"/> per setting: the name, description and default come from the declaration, the
/// default is overridden by the setting's ANALYZER_* variable (read through the configuration system), and a
/// value on the command line wins over both. Text is read by <see cref="Setting.TryParse"/> for both sources:
/// text that is not of the setting's type is a parse error naming where it came from (exit code 2). After
/// parsing, the options classes are filled from the parse result and checked against their DataAnnotations
/// (<see cref="Validate"/>: one line, exit code 2 too), and the values that were set are handed to the web
/// host as its configuration keys (<see cref="ToConfiguration"/>).
/// </summary>
public sealed class SettingOptions
{
    private readonly IConfiguration environment;
    private readonly Dictionary<Setting, Option> options = [];
    private readonly Dictionary<Setting, Func<ParseResult, object?>> values = [];

    /// <param name="environment">The ANALYZER_* variables with the prefix removed (<see cref="ReadEnvironment"/>).</param>
    public SettingOptions(IConfiguration environment)
    {
        this.environment = environment;
        var create = typeof(SettingOptions).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Instance)!;
        foreach (var setting in Settings.All)
        {
            options[setting] = (Option)create.MakeGenericMethod(setting.Type).Invoke(this, [setting])!;
        }
    }

    /// <summary>ANALYZER_MAX_UPLOAD_BYTES as the key MAX_UPLOAD_BYTES, and so on.</summary>
    public static IConfiguration ReadEnvironment() =>
        new ConfigurationBuilder().AddEnvironmentVariables(Settings.VariablePrefix).Build();

    /// <summary>Every option, in the order of <see cref="Settings.All"/>.</summary>
    public IEnumerable<Option> All => Settings.All.Select(s => options[s]);

    /// <summary>The option of one setting, e.g. <c>Get((StorageOptions o) => o.Db)</c>.</summary>
    public Option<T> Get<TOptions, T>(Expression<Func<TOptions, T>> property)
    {
        var name = ((MemberExpression)property.Body).Member.Name;
        return (Option<T>)options[Settings.Of<TOptions>(name)];
    }

    /// <summary>
    /// <typeparamref name="TOptions"/> with the values of the invoked command's options (parsed, from the
    /// environment, or the default); the settings the command does not have keep their defaults.
    /// </summary>
    public TOptions Bind<TOptions>(ParseResult parse) where TOptions : new()
    {
        var bound = new TOptions();
        foreach (var setting in Settings.All.Where(s => s.Options == typeof(TOptions) && OfCommand(parse, s)))
        {
            setting.Property.SetValue(bound, values[setting](parse));
        }
        return bound;
    }

    /// <summary>The first setting of the invoked command whose value breaks a rule of its declaration, as one line; null when all are valid.</summary>
    public string? Validate(ParseResult parse)
    {
        foreach (var type in Settings.OptionsTypes)
        {
            var bound = Activator.CreateInstance(type)!;
            foreach (var setting in Settings.All.Where(s => s.Options == type && OfCommand(parse, s)))
            {
                setting.Property.SetValue(bound, values[setting](parse));
                if (setting.Validate(bound, Origin(parse, setting) ?? setting.Flag) is { } error)
                {
                    return error;
                }
            }
        }
        return null;
    }

    /// <summary>The settings of the invoked command that were set (on the command line or in the environment), as the host's configuration keys.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration(ParseResult parse) =>
        Settings.All
            .Where(s => OfCommand(parse, s) && Origin(parse, s) is not null)
            .Select(s => KeyValuePair.Create(s.Path, Setting.Format(values[s](parse))));

    /// <summary>How to name a setting in a message: the option or variable its value came from, else the option.</summary>
    public string NameOf<TOptions>(ParseResult parse, string property)
    {
        var setting = Settings.Of<TOptions>(property);
        return Origin(parse, setting) ?? setting.Flag;
    }

    private bool OfCommand(ParseResult parse, Setting setting) => parse.CommandResult.Command.Options.Contains(options[setting]);

    /// <summary>Where the value came from: the option, the variable, or (null) neither: it is the default.</summary>
    private string? Origin(ParseResult parse, Setting setting) =>
        parse.GetResult(options[setting]) is { Implicit: false } ? setting.Flag
        : environment[setting.Key] is not null ? setting.Variable
        : null;

    private Option<T> Create<T>(Setting setting)
    {
        var option = new Option<T>(setting.Flag)
        {
            Description = $"{setting.Description} [env: {setting.Variable}]",
            HelpName = setting.Type == typeof(bool) ? null : setting.Flag[2..],
            DefaultValueFactory = result =>
            {
                if (environment[setting.Key] is not { } text)
                {
                    return (T)setting.Default!;
                }
                if (setting.TryParse(text, out var value))
                {
                    return (T)value!;
                }
                result.AddError($"{setting.Variable}='{text}' is not a valid value for {setting.Flag}");
                return (T)setting.Default!;
            },
            CustomParser = result =>
            {
                // A flag without a value (--no-migrate) turns it on; a repeatable one joins its occurrences.
                var text = setting.Repeatable ? string.Join(';', result.Tokens.Select(t => t.Value))
                    : result.Tokens.Count > 0 ? result.Tokens[^1].Value : setting.Type == typeof(bool) ? "true" : "";
                if (setting.TryParse(text, out var value))
                {
                    return (T)value!;
                }
                result.AddError($"'{text}' is not a valid value for {setting.Flag}");
                return default;
            },
        };
        if (setting.Repeatable)
        {
            option.Arity = ArgumentArity.ZeroOrMore;
        }
        values[setting] = parse => parse.GetValue(option);
        return option;
    }
}
