using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Analyzer.Analytics;
using Analyzer.Imports;

namespace Analyzer.Web;

/// <summary>Every successful answer of the contract: <c>{"data": ...}</c>.</summary>
public sealed record DataEnvelope<T>(T Data);

public sealed record ImportCreated(long ImportId);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DataEnvelope<ImportCreated>))]
[JsonSerializable(typeof(DataEnvelope<Dictionary<string, BuyerPresents[]>>))]
[JsonSerializable(typeof(DataEnvelope<TownAgePercentiles[]>))]
[JsonSerializable(typeof(DataEnvelope<Dictionary<string, BuyerCourses[]>>))]
[JsonSerializable(typeof(DataEnvelope<Dictionary<string, Dictionary<string, BuyerCourses[]>>>))]
[JsonSerializable(typeof(DataEnvelope<DemandRow[]>))]
public sealed partial class AnalyzerJsonContext : JsonSerializerContext
{
    /// <summary>The context the API writes with: UTF-8 text as is (no \u escapes for Cyrillic), percentiles as 35.0.</summary>
    public static AnalyzerJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new PercentileJsonConverter() },
    });

    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>Writes a decimal the way Python writes the float: at least one decimal place (35.0, 47.5, 59.53).</summary>
public sealed class PercentileJsonConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDecimal();

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.ToString("0.0###########################", CultureInfo.InvariantCulture), skipInputValidation: true);
}
