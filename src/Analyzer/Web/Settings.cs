// Every setting of the service is declared once, as a property of the options class of its feature
// (WebOptions, StorageOptions, DatasetsOptions, AuthOptions). DatasetsOptions.MaxUploadBytes, for one, is a long
// property whose initial value is 1 GiB, with three attributes: its key MAX_UPLOAD_BYTES (ConfigurationKeyName),
// its description for the help and the README (Setting) and its rule, at least 1 (Range),
// and everything else is derived from that declaration, here and in Cli/SettingOptions.cs:
// - the default is the property's initial value (nothing else repeats it: the CLI shows it in --help
//   and falls back to it, the host leaves the property alone when nothing is configured).
// - the environment variable is ANALYZER_ + the key (ANALYZER_MAX_UPLOAD_BYTES), read by
//   AddEnvironmentVariables("ANALYZER_"), whose keys are exactly the ConfigurationKeyName.
// - the command-line option is the key in lower case with dashes (--max-upload-bytes), which is how
//   README's Configuration table names every option, so flag and variable cannot drift apart.
// - the description is the [Setting] attribute's: the one thing the configuration system has no place for.
// - validation is the property's DataAnnotations attributes: the CLI checks the values it read and
//   names where a bad one came from (ANALYZER_X or --x), and the host checks whatever it binds
//   (ValidateDataAnnotations().ValidateOnStart()), so tests and configuration files get the same rules.
//
// Why the CLI reads the environment and the command line itself instead of handing both to the host:
// System.CommandLine gives --help, subcommands (db and token use --db and the auth options too) and
// usage errors with exit code 2 before anything starts, and a bad ANALYZER_X has to be reported the same
// way, naming the variable, rather than as a binder exception at start.
//
// Why the host binds from a section ("Analyzer:MAX_UPLOAD_BYTES") and not from the root: the host's
// default configuration also reads every environment variable without a prefix, so a root key DB or
// LOG_LEVEL would pick up unrelated variables of the machine. The CLI (which layers the environment
// and the command line, the command line winning) hands the host the values that were set, under this
// section; the tests put theirs there too. Keys are case-insensitive ("Analyzer:Db" works); a key no
// setting declares (say "Analyzer:MaxUploadBytes") fails the start instead of being ignored.
//
// Adding a setting: add the property (key, description, validation, default) to its options class.
// A new options class goes into Settings.OptionsTypes and is registered with AddSettings<T>().
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Analyzer.Auth;
using Analyzer.Datasets;
using Analyzer.Events;
using Analyzer.Observability;
using Analyzer.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Analyzer.Web;

/// <summary>
/// Makes a property of an options class a setting: the CLI option <c>--key-in-lower-case</c> with this
/// description, read also from <c>ANALYZER_KEY</c>. The key is the property's <see cref="ConfigurationKeyNameAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string description) : Attribute
{
    public string Description { get; } = description;
}

/// <summary>
/// A text setting whose option may be given several times: the occurrences are joined with ';' (the variable
/// takes them ';'-separated already).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RepeatableAttribute : Attribute;

/// <summary>One declared setting: its property, key, variable, option name, default, and how its text is read and checked.</summary>
public sealed class Setting
{
    internal Setting(Type options, PropertyInfo property, object defaults)
    {
        Options = options;
        Property = property;
        Key = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name
            ?? throw new InvalidOperationException($"{options.Name}.{property.Name} is a [Setting] without [ConfigurationKeyName]");
        Description = property.GetCustomAttribute<SettingAttribute>()!.Description;
        Default = property.GetValue(defaults);
        Repeatable = property.IsDefined(typeof(RepeatableAttribute));
        validators = [.. property.GetCustomAttributes<ValidationAttribute>()];
    }

    private readonly ValidationAttribute[] validators;

    /// <summary>The options class that declares it.</summary>
    public Type Options { get; }

    public PropertyInfo Property { get; }

    public Type Type => Property.PropertyType;

    /// <summary>The configuration key, e.g. <c>MAX_UPLOAD_BYTES</c>.</summary>
    public string Key { get; }

    /// <summary>The host's configuration key, e.g. <c>Analyzer:MAX_UPLOAD_BYTES</c>.</summary>
    public string Path => $"{Settings.Section}:{Key}";

    /// <summary>The environment variable, e.g. <c>ANALYZER_MAX_UPLOAD_BYTES</c>.</summary>
    public string Variable => Settings.VariablePrefix + Key;

    /// <summary>The command-line option, e.g. <c>--max-upload-bytes</c>.</summary>
    public string Flag => "--" + Key.ToLowerInvariant().Replace('_', '-');

    public string Description { get; }

    /// <summary>Whether the option may be repeated (see <see cref="RepeatableAttribute"/>).</summary>
    public bool Repeatable { get; }

    /// <summary>The property's initial value.</summary>
    public object? Default { get; }

    /// <summary>
    /// Reads <paramref name="text"/> as the property's type, as the configuration binder does (invariant culture),
    /// except that enums take only their names and booleans also 1/0, yes/no, on/off and the empty string (off).
    /// </summary>
    public bool TryParse(string text, out object? value)
    {
        value = null;
        var type = Nullable.GetUnderlyingType(Type) ?? Type;
        if (type == typeof(bool))
        {
            value = text.Trim().ToUpperInvariant() switch
            {
                "1" or "TRUE" or "YES" or "ON" => true,
                "0" or "FALSE" or "NO" or "OFF" or "" => false,
                _ => null,
            };
            return value is not null;
        }
        if (type.IsEnum)
        {
            var name = Enum.GetNames(type).FirstOrDefault(n => n.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
            value = name is null ? null : Enum.Parse(type, name);
            return value is not null;
        }
        try
        {
            value = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(text);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The value as configuration text (what <see cref="TryParse"/> and the binder read back).</summary>
    public static string? Format(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture);

    /// <summary>
    /// The first rule the setting's value in <paramref name="options"/> breaks, as one line that names
    /// <paramref name="origin"/> (ANALYZER_X or --x) and not the value (a database URL may hold a password); null when valid.
    /// </summary>
    public string? Validate(object options, string origin)
    {
        var value = Property.GetValue(options);
        var context = new ValidationContext(options) { MemberName = Property.Name, DisplayName = origin };
        foreach (var validator in validators)
        {
            if (validator.GetValidationResult(value, context) is { } failure && failure != ValidationResult.Success)
            {
                return $"{origin}: {Reason(validator, failure)}";
            }
        }
        return null;
    }

    private static string Reason(ValidationAttribute validator, ValidationResult failure) => validator switch
    {
        RangeAttribute { Maximum: var max } range when Convert.ToDouble(max, CultureInfo.InvariantCulture) >= int.MaxValue =>
            $"must be at least {range.Minimum}",
        RangeAttribute range => $"must be between {range.Minimum} and {range.Maximum}",
        AllowedValuesAttribute allowed => $"must be one of: {string.Join(", ", allowed.Values)}",
        _ => failure.ErrorMessage ?? "is not valid",
    };

    public override string ToString() => $"{Options.Name}.{Property.Name} ({Flag}, {Variable})";
}

/// <summary>The declared settings of every options class, and their registration in the host.</summary>
public static class Settings
{
    /// <summary>The host's configuration section of every setting.</summary>
    public const string Section = "Analyzer";

    public const string VariablePrefix = "ANALYZER_";

    /// <summary>The options classes, in the order their options are listed by <c>--help</c>.</summary>
    public static IReadOnlyList<Type> OptionsTypes { get; } = [typeof(WebOptions), typeof(StorageOptions), typeof(Imports.ImportsOptions), typeof(DatasetsOptions), typeof(Jobs.JobsOptions), typeof(AuthOptions), typeof(EventsOptions), typeof(ObservabilityOptions)];

    public static IReadOnlyList<Setting> All { get; } = Declare();

    /// <summary>The setting of <typeparamref name="TOptions"/>'s property <paramref name="property"/>.</summary>
    public static Setting Of<TOptions>(string property) =>
        All.Single(s => s.Options == typeof(TOptions) && s.Property.Name == property);

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from the section and checks its DataAnnotations at start; the start
    /// also fails on a key of the section that no setting declares (a typo, or a key of an older scheme).
    /// </summary>
    public static OptionsBuilder<TOptions> AddSettings<TOptions>(this IServiceCollection services) where TOptions : class
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SectionKeys>, SectionKeys.Validator>());
        services.AddOptions<SectionKeys>().ValidateOnStart();
        return services.AddOptions<TOptions>().BindConfiguration(Section).ValidateDataAnnotations().ValidateOnStart();
    }

    /// <summary>Stands for the keys of the section, so that the options machinery checks them at start.</summary>
    public sealed class SectionKeys
    {
        internal sealed class Validator(IConfiguration configuration) : IValidateOptions<SectionKeys>
        {
            public ValidateOptionsResult Validate(string? name, SectionKeys options)
            {
                var unknown = configuration.GetSection(Section).GetChildren()
                    .Select(child => child.Key)
                    .Where(key => !All.Any(s => s.Key.Equals(key, StringComparison.OrdinalIgnoreCase)))
                    .ToList();
                return unknown.Count == 0
                    ? ValidateOptionsResult.Success
                    : ValidateOptionsResult.Fail($"unknown setting {string.Join(", ", unknown.Select(key => $"{Section}:{key}"))}; "
                        + $"a setting's key is its variable without {VariablePrefix}, as in {Section}:{All[0].Key} for {All[0].Variable}");
            }
        }
    }

    private static Setting[] Declare()
    {
        Setting[] settings =
        [
            .. OptionsTypes.SelectMany(type =>
            {
                var defaults = Activator.CreateInstance(type)!;
                return type.GetProperties()
                    .Where(p => p.IsDefined(typeof(SettingAttribute)))
                    .OrderBy(p => p.MetadataToken) // declaration order
                    .Select(p => new Setting(type, p, defaults));
            }),
        ];
        if (settings.GroupBy(s => s.Key, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"settings share the key {twice.Key}: {string.Join(", ", twice)}");
        }
        return settings;
    }
}
