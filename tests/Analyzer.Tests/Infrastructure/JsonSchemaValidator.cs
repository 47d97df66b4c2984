using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Analyzer.Tests.Infrastructure;

/// <summary>
/// Validates JSON against the JSON Schema (2020-12) subset the OpenAPI document uses: type (also a list of
/// types), properties, required, additionalProperties (false or a schema), items, enum, const, minimum,
/// maximum, minLength/maxLength (in Unicode scalar values), pattern, minItems/maxItems, uniqueItems,
/// minProperties/maxProperties, allOf/anyOf/oneOf/not and $ref into the same document. A keyword outside that
/// subset throws, so the document cannot start relying on a rule this validator would silently skip.
/// "integer" is strict, as in the contract: a JSON number written without fraction or exponent (7, not 7.0).
/// </summary>
public sealed class JsonSchemaValidator(JsonElement document)
{
    /// <summary>Keywords that describe and do not constrain.</summary>
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "description", "title", "examples", "example", "format", "default", "deprecated", "readOnly", "writeOnly", "$comment",
    };

    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    public JsonElement Document { get; } = document;

    /// <summary>The errors of <paramref name="instance"/> against <paramref name="schema"/>, each with its JSON path; empty when valid.</summary>
    public IReadOnlyList<string> Validate(JsonElement instance, JsonElement schema)
    {
        var errors = new List<string>();
        Check(instance, schema, "$", errors);
        return errors;
    }

    /// <summary>Resolves a local reference such as <c>#/components/schemas/Citizen</c> (a JSON pointer into the document).</summary>
    public JsonElement Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"only references into the same document are supported, not {reference}");
        }
        var node = Document;
        foreach (var token in reference[2..].Split('/'))
        {
            var name = Uri.UnescapeDataString(token).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node))
            {
                throw new KeyNotFoundException($"{reference} does not resolve (no '{name}')");
            }
        }
        return node;
    }

    private void Check(JsonElement value, JsonElement schema, string path, List<string> errors)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return;
            case JsonValueKind.False:
                errors.Add($"{path}: no value is allowed here");
                return;
            case JsonValueKind.Object:
                break;
            default:
                throw new NotSupportedException($"a schema must be an object or a boolean, not {schema.ValueKind}");
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            var rule = keyword.Value;
            switch (keyword.Name)
            {
                case "$ref":
                    Check(value, Resolve(rule.GetString()!), path, errors);
                    break;
                case "type":
                    var types = rule.ValueKind == JsonValueKind.Array ? [.. rule.EnumerateArray().Select(t => t.GetString()!)] : new[] { rule.GetString()! };
                    if (!types.Any(type => HasType(value, type)))
                    {
                        errors.Add($"{path}: expected {string.Join(" or ", types)}, got {Describe(value)}");
                    }
                    break;
                case "enum":
                    if (!rule.EnumerateArray().Any(option => JsonElement.DeepEquals(option, value)))
                    {
                        errors.Add($"{path}: {Describe(value)} is not one of {rule.GetRawText()}");
                    }
                    break;
                case "const":
                    if (!JsonElement.DeepEquals(rule, value))
                    {
                        errors.Add($"{path}: {Describe(value)} is not {rule.GetRawText()}");
                    }
                    break;

                case "properties":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var property in rule.EnumerateObject())
                        {
                            if (value.TryGetProperty(property.Name, out var member))
                            {
                                Check(member, property.Value, $"{path}.{property.Name}", errors);
                            }
                        }
                    }
                    break;
                case "required":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var name in rule.EnumerateArray().Select(r => r.GetString()!))
                        {
                            if (!value.TryGetProperty(name, out _))
                            {
                                errors.Add($"{path}: required property '{name}' is missing");
                            }
                        }
                    }
                    break;
                case "additionalProperties":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        var declared = schema.TryGetProperty("properties", out var properties)
                            ? properties.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal)
                            : [];
                        foreach (var member in value.EnumerateObject().Where(m => !declared.Contains(m.Name)))
                        {
                            if (rule.ValueKind == JsonValueKind.False)
                            {
                                errors.Add($"{path}: property '{member.Name}' is not allowed");
                            }
                            else
                            {
                                Check(member.Value, rule, $"{path}.{member.Name}", errors);
                            }
                        }
                    }
                    break;
                case "minProperties" or "maxProperties":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        var count = value.EnumerateObject().Count();
                        var bound = rule.GetInt32();
                        if (keyword.Name == "minProperties" ? count < bound : count > bound)
                        {
                            errors.Add($"{path}: {count} properties break {keyword.Name} {bound}");
                        }
                    }
                    break;

                case "items":
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        var index = 0;
                        foreach (var item in value.EnumerateArray())
                        {
                            Check(item, rule, $"{path}[{index++}]", errors);
                        }
                    }
                    break;
                case "minItems" or "maxItems":
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        var length = value.GetArrayLength();
                        var bound = rule.GetInt32();
                        if (keyword.Name == "minItems" ? length < bound : length > bound)
                        {
                            errors.Add($"{path}: {length} items break {keyword.Name} {bound}");
                        }
                    }
                    break;
                case "uniqueItems":
                    if (value.ValueKind == JsonValueKind.Array && rule.GetBoolean())
                    {
                        var items = value.EnumerateArray().ToArray();
                        for (var i = 0; i < items.Length; i++)
                        {
                            for (var j = i + 1; j < items.Length; j++)
                            {
                                if (JsonElement.DeepEquals(items[i], items[j]))
                                {
                                    errors.Add($"{path}: items {i} and {j} are equal ({items[i].GetRawText()})");
                                }
                            }
                        }
                    }
                    break;

                case "minimum" or "maximum":
                    if (value.ValueKind == JsonValueKind.Number)
                    {
                        var bound = rule.GetDecimal();
                        if (!value.TryGetDecimal(out var number) || (keyword.Name == "minimum" ? number < bound : number > bound))
                        {
                            errors.Add($"{path}: {value.GetRawText()} breaks {keyword.Name} {bound.ToString(CultureInfo.InvariantCulture)}");
                        }
                    }
                    break;
                case "minLength" or "maxLength":
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        var length = value.GetString()!.EnumerateRunes().Count();
                        var bound = rule.GetInt32();
                        if (keyword.Name == "minLength" ? length < bound : length > bound)
                        {
                            errors.Add($"{path}: a string of {length} characters breaks {keyword.Name} {bound}");
                        }
                    }
                    break;
                case "pattern":
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        var pattern = rule.GetString()!;
                        var regex = Patterns.GetOrAdd(pattern, p => new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5)));
                        if (!regex.IsMatch(value.GetString()!))
                        {
                            errors.Add($"{path}: {value.GetRawText()} does not match {pattern}");
                        }
                    }
                    break;

                case "allOf":
                    foreach (var part in rule.EnumerateArray())
                    {
                        Check(value, part, path, errors);
                    }
                    break;
                case "anyOf" or "oneOf":
                    var matches = rule.EnumerateArray().Count(part => Validate(value, part).Count == 0);
                    if (keyword.Name == "anyOf" ? matches == 0 : matches != 1)
                    {
                        errors.Add($"{path}: {Describe(value)} matches {matches} of the {keyword.Name} schemas");
                    }
                    break;
                case "not":
                    if (Validate(value, rule).Count == 0)
                    {
                        errors.Add($"{path}: {Describe(value)} matches a schema it must not match");
                    }
                    break;

                default:
                    if (!Annotations.Contains(keyword.Name))
                    {
                        throw new NotSupportedException($"the schema keyword '{keyword.Name}' (at {path}) is not supported by this validator");
                    }
                    break;
            }
        }
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.GetRawText().All(c => char.IsAsciiDigit(c) || c == '-'),
        _ => throw new NotSupportedException($"unknown type '{type}'"),
    };

    private static string Describe(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 60 ? text : text[..60] + "…";
    }
}
