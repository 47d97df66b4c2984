using System.ComponentModel.DataAnnotations;
using Analyzer.Web;

namespace Analyzer.Events;

/// <summary>Settings of the outbox's retention, the Kafka relay and <c>analyzer events tail</c>. See <see cref="Settings"/>.</summary>
public sealed class EventsOptions
{
    /// <summary>Empty: no relay; the events stay in the outbox and <c>GET /events</c> serves them.</summary>
    [ConfigurationKeyName("KAFKA_BOOTSTRAP_SERVERS"), Setting("Kafka brokers (host:port,...) the outbox is published to; empty: no Kafka relay")]
    public string KafkaBootstrapServers { get; set; } = "";

    [ConfigurationKeyName("KAFKA_TOPIC"), Setting("Kafka topic of the events"), RegularExpression("^[A-Za-z0-9._-]{1,249}$")]
    public string KafkaTopic { get; set; } = "analyzer.events";

    /// <summary>Entries separated by ';' (the option can be repeated: each occurrence is one entry). See <see cref="KafkaProperties"/>.</summary>
    [ConfigurationKeyName("KAFKA_CONFIG"), Setting("librdkafka property key=value for the relay and events tail (SASL, TLS, ...); repeat the option, or separate with ';'"), Repeatable]
    [KafkaProperties]
    public string KafkaConfig { get; set; } = "";

    /// <summary>With a relay, counted from each event's publication; an event not yet published is never purged.</summary>
    [ConfigurationKeyName("EVENT_RETENTION"), Setting("Days events are kept in the outbox: after their publication to Kafka, or without a relay after they occurred"), Range(1, 3650)]
    public int EventRetentionDays { get; set; } = 7;

    /// <summary>Whether the Kafka relay runs (and an event must be published before it may be purged).</summary>
    public bool RelayConfigured => KafkaBootstrapServers.Length > 0;
}

/// <summary>Reads <see cref="EventsOptions.KafkaConfig"/>: <c>key=value</c> entries separated by ';'.</summary>
public static class KafkaProperties
{
    public static bool TryParse(string text, out IReadOnlyList<KeyValuePair<string, string>> properties, out string? error)
    {
        var parsed = new List<KeyValuePair<string, string>>();
        properties = parsed;
        error = null;
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"'{KeyOf(entry)}' is not key=value";
                return false;
            }
            parsed.Add(KeyValuePair.Create(entry[..equals].Trim(), entry[(equals + 1)..].Trim()));
        }
        return true;
    }

    /// <summary>What an error may repeat of a bad entry: its key only (a value may be a password).</summary>
    private static string KeyOf(string entry) => entry.Length > 40 ? entry[..40] + "..." : entry;
}

/// <summary>A <see cref="EventsOptions.KafkaConfig"/> that <see cref="KafkaProperties.TryParse"/> reads.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class KafkaPropertiesAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        KafkaProperties.TryParse(value as string ?? "", out _, out var error)
            ? ValidationResult.Success
            : new ValidationResult("each entry must be key=value: " + error, validationContext.MemberName is { } member ? [member] : null);
}
