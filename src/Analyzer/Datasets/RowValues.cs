using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Analyzer.Datasets.Csv;
using Analyzer.Imports;
using Analyzer.Storage;
using Analyzer.Web;

namespace Analyzer.Datasets;

/// <summary>What a set of column values must contain.</summary>
public enum Required
{
    /// <summary>A new row: every NOT NULL column.</summary>
    EveryNotNullColumn,

    /// <summary>A change: at least one column.</summary>
    AnyColumn,

    /// <summary>Filters: nothing.</summary>
    Nothing,
}

/// <summary>
/// Column values between their three forms: JSON (request and answer bodies), text (query strings,
/// CSV cells) and database values. In memory a value is a long, double, bool, DateOnly,
/// DateTimeOffset (UTC), string, or null.
/// </summary>
public static class RowValues
{
    /// <summary>Reads a JSON object of column values, checked against the dataset's columns.</summary>
    public static Dictionary<string, object?> FromJson(Dataset dataset, JsonElement body, Required required, ValidationErrors errors)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$", "the body must be a JSON object of column values");
            return values;
        }
        foreach (var property in body.EnumerateObject())
        {
            if (Column(dataset, property.Name, errors) is not { } column)
            {
                continue;
            }
            if (values.ContainsKey(column.Name))
            {
                errors.Add(column.Name, "appears more than once");
            }
            else
            {
                var (ok, value) = FromJson(property.Value, column, errors);
                if (ok)
                {
                    values[column.Name] = value;
                }
            }
        }
        CheckRequired(dataset, values, required, errors);
        return values;
    }

    /// <summary>Reads column values from query-string pairs (<c>col=value</c>; an empty value is NULL).</summary>
    public static Dictionary<string, object?> FromText(Dataset dataset, IEnumerable<KeyValuePair<string, string>> pairs, Required required, ValidationErrors errors)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, text) in pairs)
        {
            if (Column(dataset, name, errors) is not { } column)
            {
                continue;
            }
            if (values.ContainsKey(column.Name))
            {
                errors.Add(column.Name, "appears more than once");
            }
            else if (TextRule.HasNul(text))
            {
                errors.Add(column.Name, TextRule.NulMessage);
            }
            else if (text.Length == 0)
            {
                if (column.Nullable)
                {
                    values[column.Name] = null;
                }
                else
                {
                    errors.Add(column.Name, "must not be null (empty)");
                }
            }
            else if (TypeInference.TryConvert(text, column.Type, out var value))
            {
                values[column.Name] = value;
            }
            else
            {
                errors.Add(column.Name, $"'{Truncate(text)}' is not a {column.Type.ToApiName()}");
            }
        }
        CheckRequired(dataset, values, required, errors);
        return values;
    }

    private static DatasetColumn? Column(Dataset dataset, string name, ValidationErrors errors)
    {
        if (name is "id" or "deleted_at")
        {
            errors.Add(name, "is managed by the service and cannot be set");
            return null;
        }
        var column = dataset.Column(name);
        if (column is null)
        {
            errors.Add(name, $"unknown column; {dataset.Name} has {string.Join(", ", dataset.Columns.Select(c => c.Name))}");
        }
        return column;
    }

    private static void CheckRequired(Dataset dataset, Dictionary<string, object?> values, Required required, ValidationErrors errors)
    {
        if (required != Required.Nothing)
        {
            dataset.Geo?.CheckRange(values, errors);
        }
        if (required == Required.EveryNotNullColumn)
        {
            foreach (var column in dataset.Columns.Where(c => !c.Nullable && !values.ContainsKey(c.Name)))
            {
                errors.Add(column.Name, "is required (the column is NOT NULL)");
            }
        }
        else if (required == Required.AnyColumn && values.Count == 0 && errors.IsEmpty)
        {
            errors.Add("$", "name at least one column to change");
        }
    }

    private static (bool Ok, object? Value) FromJson(JsonElement json, DatasetColumn column, ValidationErrors errors)
    {
        if (json.ValueKind == JsonValueKind.Null)
        {
            if (column.Nullable)
            {
                return (true, null);
            }
            errors.Add(column.Name, "must not be null (the column is NOT NULL)");
            return (false, null);
        }
        object? value = null;
        var ok = column.Type switch
        {
            ColumnType.Integer => json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out var l) && Set(l, out value),
            ColumnType.Float => json.ValueKind == JsonValueKind.Number && json.TryGetDouble(out var d) && double.IsFinite(d) && Set(d, out value),
            ColumnType.Boolean => json.ValueKind is JsonValueKind.True or JsonValueKind.False && Set(json.GetBoolean(), out value),
            _ => json.ValueKind == JsonValueKind.String && TypeInference.TryConvert(json.GetString()!, column.Type, out value),
        };
        if (!ok)
        {
            errors.Add(column.Name, column.Type switch
            {
                ColumnType.Integer => "must be a 64-bit integer",
                ColumnType.Float => "must be a number",
                ColumnType.Boolean => "must be true or false",
                ColumnType.Date => "must be a date string, YYYY-MM-DD or DD.MM.YYYY",
                ColumnType.Timestamp => "must be an ISO 8601 timestamp string",
                _ => "must be a string",
            });
        }
        return (ok, value);
    }

    private static bool Set(object input, out object? value)
    {
        value = input;
        return true;
    }

    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case DateOnly date:
                writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset timestamp:
                writer.WriteStringValue(FormatTimestamp(timestamp));
                break;
            default:
                writer.WriteStringValue((string)value);
                break;
        }
    }

    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public static void WriteRow(Utf8JsonWriter writer, Dataset dataset, DatasetRow row)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id"u8, row.Id);
        for (var i = 0; i < dataset.Columns.Count; i++)
        {
            writer.WritePropertyName(dataset.Columns[i].Name);
            WriteValue(writer, row.Values[i]);
        }
        writer.WritePropertyName("deleted_at"u8);
        WriteValue(writer, row.DeletedAt);
        if (row.DistanceMeters is { } meters)
        {
            writer.WriteNumber("distance_km"u8, Kilometers(meters));
        }
        writer.WriteEndObject();
    }

    /// <summary>A distance in kilometres as answers give it: to the millimetre.</summary>
    public static double Kilometers(double meters) => Math.Round(meters / 1000, 6, MidpointRounding.AwayFromZero);

    public static object? Read(DbDataReader reader, int ordinal, ColumnType type)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }
        return type switch
        {
            ColumnType.Integer => reader.GetInt64(ordinal),
            ColumnType.Float => reader.GetDouble(ordinal),
            ColumnType.Boolean => reader.GetBoolean(ordinal),
            ColumnType.Date => reader.GetFieldValue<DateOnly>(ordinal),
            ColumnType.Timestamp => ReadTimestamp(reader, ordinal),
            _ => reader.GetString(ordinal),
        };
    }

    public static DateTimeOffset? ReadTimestamp(DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }
        return reader.GetFieldType(ordinal) == typeof(string)
            ? DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
            : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
