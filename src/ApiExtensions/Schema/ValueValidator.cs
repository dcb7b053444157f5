using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// OpenAPI value validation of a custom resource against its schema, as kube-openapi's SchemaValidator runs it
/// for apiextensions (ValidateCustomResource): the same checks in the same order, the same
/// "<c>spec.x in body should be ...</c>" texts, turned into field errors as kube turns them
/// (Required, NotSupported, TooLong, TooMany, TypeInvalid, or Invalid; anyOf/oneOf/allOf/not failures at the
/// <c>&lt;nil&gt;</c> path).
/// </summary>
internal static class ValueValidator
{
    private const string In = "body";

    public static void Validate(SchemaNode schema, JsonNode? value, string? statusPrefix, List<FieldError> errors)
    {
        var result = new Result();
        ValidateNode(schema, value, OpenApiPath.Root, result);
        foreach (var e in result.Errors)
        {
            errors.Add(e.ToFieldError(statusPrefix));
        }
    }

    /// <summary>Whether the value passes (no errors), for callers that only need the answer.</summary>
    public static bool IsValid(SchemaNode schema, JsonNode? value)
    {
        var result = new Result();
        ValidateNode(schema, value, OpenApiPath.Root, result);
        return result.Errors.Count == 0;
    }

    private static void ValidateNode(SchemaNode s, JsonNode? data, OpenApiPath path, Result result)
    {
        var types = s.OpenApiTypes;
        var format = s.EffectiveFormat;
        if (data is null)
        {
            // Only the type and enum validators run for null.
            if (types.Length > 0 || format.Length > 0)
            {
                result.Inc();
                if (types.Length > 0 && !s.Nullable)
                {
                    result.Add(OpenApiError.InvalidType(path, string.Join(",", types), "null", stringValue: true));
                }
            }
            ValidateEnum(s, null, path, result);
            return;
        }

        var kind = Classify(data, out var number, out var isInteger);

        // typeValidator
        if (types.Length > 0 || format.Length > 0)
        {
            ValidateType(s, types, format, kind, number, isInteger, path, result);
            result.Inc();
        }

        // schemaPropsValidator
        if (s.AllOf is not null || s.AnyOf is not null || s.OneOf is not null || s.Not is not null)
        {
            ValidateSchemaProps(s, data, path, result);
        }
        result.Inc();

        switch (kind)
        {
            case ValueKind.String:
            {
                var str = data.GetValue<string>();
                ValidateString(s, str, path, result);
                result.Inc();
                if (s.CheckedFormat is { } normalized)
                {
                    if (!Formats.IsValid(normalized, str))
                    {
                        result.Add(OpenApiError.InvalidType(path, format, str, stringValue: true));
                    }
                    result.Inc();
                }
                break;
            }
            case ValueKind.Number:
                ValidateNumber(s, types, format, number, isInteger, (JsonValue)data, path, result);
                result.Inc();
                break;
            case ValueKind.Array:
                ValidateArray(s, (JsonArray)data, path, result);
                result.Inc();
                break;
        }

        ValidateEnum(s, data, path, result);
        result.Inc();

        if (kind == ValueKind.Object)
        {
            ValidateObject(s, (JsonObject)data, path, result);
            result.Inc();
        }
        result.Inc();
    }

    private enum ValueKind
    {
        String,
        Number,
        Bool,
        Array,
        Object,
    }

    private static ValueKind Classify(JsonNode data, out double number, out bool isInteger)
    {
        number = 0;
        isInteger = false;
        switch (data)
        {
            case JsonObject:
                return ValueKind.Object;
            case JsonArray:
                return ValueKind.Array;
        }
        var v = (JsonValue)data;
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                return ValueKind.String;
            case JsonValueKind.True:
            case JsonValueKind.False:
                return ValueKind.Bool;
            default:
                // JSON integers that fit int64 decode to int64, every other number to float64, as kube's decoder does.
                if (v.TryGetValue<long>(out var l))
                {
                    isInteger = true;
                    number = l;
                }
                else
                {
                    number = v.GetValue<double>();
                }
                return ValueKind.Number;
        }
    }

    private static void ValidateType(SchemaNode s, string[] types, string format, ValueKind kind, double number, bool isInteger, OpenApiPath path, Result result)
    {
        string schType;
        var dataFormat = "";
        switch (kind)
        {
            case ValueKind.Bool:
                schType = "boolean";
                break;
            case ValueKind.String:
                schType = "string";
                break;
            case ValueKind.Number when isInteger:
                schType = "integer";
                dataFormat = "int64";
                break;
            case ValueKind.Number:
                schType = "number";
                dataFormat = "float64";
                break;
            case ValueKind.Array:
                schType = "array";
                break;
            default:
                schType = "object";
                break;
        }
        var containsSchType = Array.IndexOf(types, schType) >= 0;
        var isFloatInt = schType == "number" && IsFloat64AJsonInteger(number) && Array.IndexOf(types, "integer") >= 0;
        var isIntFloat = schType == "integer" && Array.IndexOf(types, "number") >= 0;
        var isStringOrSlice = kind is ValueKind.String or ValueKind.Array;
        if (!isStringOrSlice && format.Length > 0 && !(containsSchType || dataFormat == format || isFloatInt || isIntFloat))
        {
            result.Add(OpenApiError.InvalidType(path, format, dataFormat, stringValue: true));
            return;
        }
        if (!(Array.IndexOf(types, "number") >= 0 || Array.IndexOf(types, "integer") >= 0) && format.Length > 0 && isStringOrSlice)
        {
            return;
        }
        if (!(containsSchType || isFloatInt || isIntFloat))
        {
            result.Add(OpenApiError.InvalidType(path, string.Join(",", types), schType, stringValue: true));
        }
        _ = s;
    }

    private static void ValidateSchemaProps(SchemaNode s, JsonNode data, OpenApiPath path, Result main)
    {
        if (s.AnyOf is { Count: > 0 } anyOf)
        {
            Result? bestFailures = null;
            Result? firstSuccess = null;
            var succeededOnce = false;
            foreach (var sub in anyOf)
            {
                var r = new Result();
                ValidateNode(sub, data, path, r);
                if (r.IsValid)
                {
                    bestFailures = null;
                    succeededOnce = true;
                    firstSuccess ??= r;
                    break;
                }
                if (bestFailures is null || r.MatchCount > bestFailures.MatchCount)
                {
                    bestFailures = r;
                }
            }
            if (!succeededOnce)
            {
                main.Add(OpenApiError.Composite(GoText.Quote(path.ToString()) + " must validate at least one schema (anyOf)"));
            }
            if (bestFailures is not null)
            {
                main.Merge(bestFailures);
            }
            else if (firstSuccess is not null)
            {
                main.Merge(firstSuccess);
            }
        }

        if (s.OneOf is { Count: > 0 } oneOf)
        {
            Result? bestFailures = null;
            Result? firstSuccess = null;
            var validated = 0;
            foreach (var sub in oneOf)
            {
                var r = new Result();
                ValidateNode(sub, data, path, r);
                if (r.IsValid)
                {
                    validated++;
                    bestFailures = null;
                    firstSuccess ??= r;
                    continue;
                }
                if (validated == 0 && (bestFailures is null || r.MatchCount > bestFailures.MatchCount))
                {
                    bestFailures = r;
                }
            }
            if (validated != 1)
            {
                var additional = validated == 0 ? "Found none valid" : $"Found {validated} valid alternatives";
                main.Add(OpenApiError.Composite(GoText.Quote(path.ToString()) + " must validate one and only one schema (oneOf). " + additional));
                if (bestFailures is not null)
                {
                    main.Merge(bestFailures);
                }
            }
            else if (firstSuccess is not null)
            {
                main.Merge(firstSuccess);
            }
        }

        if (s.AllOf is { Count: > 0 } allOf)
        {
            var validated = 0;
            foreach (var sub in allOf)
            {
                var r = new Result();
                ValidateNode(sub, data, path, r);
                if (r.IsValid)
                {
                    validated++;
                }
                main.Merge(r);
            }
            if (validated != allOf.Count)
            {
                main.Add(OpenApiError.Composite(GoText.Quote(path.ToString()) + " must validate all the schemas (allOf)" + (validated == 0 ? ". None validated" : "")));
            }
        }

        if (s.Not is { } not)
        {
            var r = new Result();
            ValidateNode(not, data, path, r);
            if (r.IsValid)
            {
                main.Add(OpenApiError.Composite(GoText.Quote(path.ToString()) + " must not validate the schema (not)"));
            }
        }
        main.Inc();
    }

    private static void ValidateString(SchemaNode s, string data, OpenApiPath path, Result result)
    {
        if (s.MaxLength is { } max && RuneCount(data) > max)
        {
            result.Add(new OpenApiError(OpenApiCode.TooLong, path, $"{path} in {In} should be at most {max} chars long", data, max));
            return;
        }
        if (s.MinLength is { } min && RuneCount(data) < min)
        {
            result.Add(new OpenApiError(OpenApiCode.TooShort, path, $"{path} in {In} should be at least {min} chars long", data, min));
            return;
        }
        if (s.Pattern.Length > 0)
        {
            if (s.PatternRegex is null)
            {
                result.Add(new OpenApiError(OpenApiCode.Pattern, path, $"{path} in {In} should match '{s.Pattern}, but pattern is invalid: {s.PatternError}'", data));
            }
            else if (!s.PatternRegex.IsMatch(data))
            {
                result.Add(new OpenApiError(OpenApiCode.Pattern, path, $"{path} in {In} should match '{s.Pattern}'", data));
            }
        }
    }

    private static int RuneCount(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            n++;
        }
        return n;
    }

    private static void ValidateNumber(SchemaNode s, string[] types, string format, double number, bool isInteger, JsonValue raw, OpenApiPath path, Result result)
    {
        var typeName = "";
        var rangeFormat = "";
        if (types.Length == 1)
        {
            typeName = types[0];
            if (typeName == "integer" && format is "int32" or "int64")
            {
                rangeFormat = format;
            }
            else if (typeName == "number" && format is "float" or "double")
            {
                rangeFormat = format;
            }
        }
        long longValue = isInteger ? raw.GetValue<long>() : 0;
        object boxed = isInteger ? longValue : number;

        if (RangeError(isInteger, longValue, number, typeName, rangeFormat, "Checked", path) is { } checkedError)
        {
            result.Add(checkedError);
        }

        var multipleErrors = new Result();
        var minimumErrors = new Result();
        var maximumErrors = new Result();
        if (s.MultipleOf is { } factor)
        {
            if (RangeError(false, 0, factor, typeName, rangeFormat, "MultipleOf", path) is { } e)
            {
                multipleErrors.Add(e);
                multipleErrors.AddIfNotNull(MultipleOfFloat(path, number, factor));
            }
            else if (isInteger)
            {
                var f = (long)factor;
                if (f <= 0)
                {
                    multipleErrors.Add(new OpenApiError(OpenApiCode.MultipleOfMustBePositive, path, $"factor MultipleOf declared for {path} must be positive: {f}", f));
                }
                else if (longValue / f * f != longValue)
                {
                    multipleErrors.Add(new OpenApiError(OpenApiCode.MultipleOf, path, $"{path} in {In} should be a multiple of {f}", longValue));
                }
            }
            else
            {
                multipleErrors.AddIfNotNull(MultipleOfFloat(path, number, factor));
            }
        }
        if (s.Maximum is { } max)
        {
            var exclusive = s.ExclusiveMaximum;
            var e = RangeError(false, 0, max, typeName, rangeFormat, "Maximum boundary", path);
            if (e is not null)
            {
                maximumErrors.Add(e);
            }
            if (isInteger && e is null)
            {
                var m = (long)max;
                if ((!exclusive && longValue > m) || (exclusive && longValue >= m))
                {
                    maximumErrors.Add(new OpenApiError(OpenApiCode.Max, path, $"{path} in {In} should be less than {(exclusive ? "" : "or equal to ")}{m}", longValue));
                }
            }
            else if ((!exclusive && number > max) || (exclusive && number >= max))
            {
                maximumErrors.Add(new OpenApiError(OpenApiCode.Max, path, $"{path} in {In} should be less than {(exclusive ? "" : "or equal to ")}{GoText.FormatFloat(max, 'g')}", boxed));
            }
        }
        if (s.Minimum is { } min)
        {
            var exclusive = s.ExclusiveMinimum;
            var e = RangeError(false, 0, min, typeName, rangeFormat, "Minimum boundary", path);
            if (e is not null)
            {
                minimumErrors.Add(e);
            }
            if (isInteger && e is null)
            {
                var m = (long)min;
                if ((!exclusive && longValue < m) || (exclusive && longValue <= m))
                {
                    minimumErrors.Add(new OpenApiError(OpenApiCode.Min, path, $"{path} in {In} should be greater than {(exclusive ? "" : "or equal to ")}{m}", longValue));
                }
            }
            else if ((!exclusive && number < min) || (exclusive && number <= min))
            {
                minimumErrors.Add(new OpenApiError(OpenApiCode.Min, path, $"{path} in {In} should be greater than {(exclusive ? "" : "or equal to ")}{GoText.FormatFloat(min, 'g')}", boxed));
            }
        }
        result.Merge(multipleErrors);
        result.Merge(minimumErrors);
        result.Merge(maximumErrors);
    }

    private static OpenApiError? MultipleOfFloat(OpenApiPath path, double data, double factor)
    {
        if (factor <= 0)
        {
            return new OpenApiError(OpenApiCode.MultipleOfMustBePositive, path, $"factor MultipleOf declared for {path} must be positive: {GoText.FormatFloat(factor, 'g')}", factor);
        }
        var mult = factor < 1 ? 1 / factor * data : data / factor;
        return IsFloat64AJsonInteger(mult) ? null : new OpenApiError(OpenApiCode.MultipleOf, path, $"{path} in {In} should be a multiple of {GoText.FormatFloat(factor, 'g')}", data);
    }

    // validate.IsValueValidAgainstRange: a plain error (not a validation error), reported at the <nil> path.
    private static OpenApiError? RangeError(bool isInteger, long longValue, double number, string typeName, string format, string prefix, OpenApiPath path)
    {
        var ok = typeName switch
        {
            "integer" => format == "int32"
                ? (isInteger ? longValue is >= int.MinValue and <= int.MaxValue : number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue)
                : (isInteger || (number == Math.Floor(number) && Math.Abs(number) < 9.2233720368547758e18)),
            _ => format is "float" ? Math.Abs(isInteger ? longValue : number) <= float.MaxValue : true,
        };
        if (ok)
        {
            return null;
        }
        var text = format.Length > 0
            ? $"{prefix} value must be of type {typeName} with format {format} in {path}"
            : $"{prefix} value must be of type {typeName} (default format) in {path}";
        return OpenApiError.Composite(text);
    }

    // swag.IsFloat64AJSONInteger
    private static bool IsFloat64AJsonInteger(double f)
    {
        const double maxJsonFloat = 9007199254740992; // 2^53
        if (!double.IsFinite(f) || f < -maxJsonFloat || f > maxJsonFloat)
        {
            return false;
        }
        var g = Math.Truncate(f);
        if (f == g)
        {
            return true;
        }
        var diff = Math.Abs(f - g);
        if (f == 0 || g == 0)
        {
            return diff < 1e-9 * double.Epsilon;
        }
        return diff / Math.Min(Math.Abs(f) + Math.Abs(g), double.MaxValue) < 1e-9;
    }

    private static void ValidateArray(SchemaNode s, JsonArray data, OpenApiPath path, Result result)
    {
        if (s.Items is { } items)
        {
            for (var i = 0; i < data.Count; i++)
            {
                ValidateNode(items, data[i], path.Index(i), result);
            }
        }
        long size = data.Count;
        if (s.MinItems is { } min && size < min)
        {
            result.Add(new OpenApiError(OpenApiCode.MinItems, path, $"{path} in {In} should have at least {min} items", size, min));
        }
        if (s.MaxItems is { } max && size > max)
        {
            result.Add(new OpenApiError(OpenApiCode.MaxItems, path, $"{path} in {In} should have at most {max} items", size, max));
        }
        if (s.UniqueItems)
        {
            for (var i = 1; i < data.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (JsonEquality.DeepEquals(data[i], data[j]))
                    {
                        result.Add(new OpenApiError(OpenApiCode.Unique, path, $"{path} in {In} shouldn't contain duplicates", null));
                        return;
                    }
                }
            }
        }
    }

    private static void ValidateEnum(SchemaNode s, JsonNode? data, OpenApiPath path, Result result)
    {
        if (s.Enum is not { Count: > 0 } values)
        {
            return;
        }
        if (s.EnumStrings is { } strings && data is JsonValue sv && sv.GetValueKind() == JsonValueKind.String)
        {
            var str = sv.GetValue<string>();
            foreach (var candidate in strings)
            {
                if (string.Equals(candidate, str, StringComparison.Ordinal))
                {
                    return;
                }
            }
        }
        else if (data is not null)
        {
            foreach (var v in values)
            {
                if (JsonEquality.EnumEquals(data, v))
                {
                    return;
                }
            }
        }
        result.Add(OpenApiError.EnumFail(path, data, values));
    }

    private static void ValidateObject(SchemaNode s, JsonObject data, OpenApiPath path, Result result)
    {
        long numKeys = data.Count;
        if (s.MinProperties is { } min && numKeys < min)
        {
            result.Add(new OpenApiError(OpenApiCode.TooFewProperties, path, $"{path} in {In} should have at least {min} properties", numKeys, min));
        }
        if (s.MaxProperties is { } max && numKeys > max)
        {
            result.Add(new OpenApiError(OpenApiCode.TooManyProperties, path, $"{path} in {In} should have at most {max} properties", numKeys, max));
        }

        var properties = s.Properties;
        if (s.AdditionalPropertiesBool == false)
        {
            foreach (var (key, _) in data)
            {
                if (properties is null || !properties.ContainsKey(key))
                {
                    result.Add(new OpenApiError(OpenApiCode.UnallowedProperty, path, $"{path}.{key} in {In} is a forbidden property", key));
                }
            }
        }
        else if (s.AdditionalProperties is { } ap)
        {
            foreach (var (key, value) in data)
            {
                if (properties is null || !properties.ContainsKey(key))
                {
                    ValidateNode(ap, value, path.AdditionalProperty(key), result);
                }
            }
        }

        if (s.PropertyList is { } list)
        {
            foreach (var (name, propSchema) in list)
            {
                if (data.TryGetPropertyValue(name, out var v))
                {
                    ValidateNode(propSchema, v, path.Property(name), result);
                }
            }
        }

        if (s.Required is { } required)
        {
            foreach (var k in required)
            {
                if (!data.ContainsKey(k))
                {
                    result.Add(new OpenApiError(OpenApiCode.Required, path.AdditionalProperty(k), $"{path}.{k} in {In} is required", null));
                }
            }
        }
    }

    /// <summary>A kube-openapi result: errors (deduplicated by text, as Result.AddErrors does) and a match count
    /// that picks the "best" failing alternative of anyOf/oneOf.</summary>
    private sealed class Result
    {
        private List<OpenApiError>? _errors;

        public IReadOnlyList<OpenApiError> Errors => (IReadOnlyList<OpenApiError>?)_errors ?? [];

        public int MatchCount { get; private set; }

        public bool IsValid => _errors is null || _errors.Count == 0;

        public void Inc() => MatchCount++;

        public void Add(OpenApiError e)
        {
            _errors ??= [];
            foreach (var existing in _errors)
            {
                if (existing.Message == e.Message)
                {
                    return;
                }
            }
            _errors.Add(e);
        }

        public void AddIfNotNull(OpenApiError? e)
        {
            if (e is not null)
            {
                Add(e);
            }
        }

        public void Merge(Result other)
        {
            if (other._errors is not null)
            {
                foreach (var e in other._errors)
                {
                    Add(e);
                }
            }
            MatchCount += other.MatchCount;
        }
    }
}

internal enum OpenApiCode
{
    InvalidType,
    Required,
    TooLong,
    TooShort,
    Pattern,
    Enum,
    MultipleOf,
    Max,
    Min,
    Unique,
    MaxItems,
    MinItems,
    TooFewProperties,
    TooManyProperties,
    UnallowedProperty,
    MultipleOfMustBePositive,
    /// <summary>Not a validation error (composite messages, range checks): reported at the &lt;nil&gt; path with value "".</summary>
    Composite,
}

/// <summary>One kube-openapi error: its code, the path it names, its text, the offending value and the limit.</summary>
internal sealed class OpenApiError(OpenApiCode code, OpenApiPath? path, string message, object? value, long? valid = null)
{
    public OpenApiCode Code { get; } = code;
    public OpenApiPath? Path { get; } = path;
    public string Message { get; } = message;
    public object? Value { get; } = value;
    public long? Valid { get; } = valid;
    public IReadOnlyList<string>? EnumValues { get; private init; }

    public static OpenApiError Composite(string message) => new(OpenApiCode.Composite, null, message, null);

    public static OpenApiError InvalidType(OpenApiPath path, string typeName, object? value, bool stringValue)
    {
        var message = stringValue
            ? $"{path} in body must be of type {typeName}: {GoText.Quote(value as string ?? "")}"
            : $"{path} in body must be of type {typeName}";
        return new OpenApiError(OpenApiCode.InvalidType, path, message, value);
    }

    public static OpenApiError EnumFail(OpenApiPath path, JsonNode? data, JsonArray values)
    {
        var display = new List<string>(values.Count);
        var texts = new List<string>(values.Count);
        foreach (var v in values)
        {
            if (v is JsonValue jv && jv.GetValueKind() == JsonValueKind.String)
            {
                texts.Add(jv.GetValue<string>());
            }
            else
            {
                texts.Add(v?.ToJsonString() ?? "null");
            }
            display.Add(GoValueText(v));
        }
        return new OpenApiError(OpenApiCode.Enum, path, $"{path} in body should be one of [{string.Join(" ", display)}]", ToClr(data))
        {
            EnumValues = texts,
        };
    }

    // fmt's %v of a decoded JSON value.
    private static string GoValueText(JsonNode? v) => v switch
    {
        null => "<nil>",
        JsonValue jv when jv.GetValueKind() == JsonValueKind.String => jv.GetValue<string>(),
        JsonValue jv when jv.GetValueKind() == JsonValueKind.Number => jv.TryGetValue<long>(out var l) ? l.ToString(CultureInfo.InvariantCulture) : GoText.FormatFloat(jv.GetValue<double>(), 'g'),
        JsonValue jv => jv.ToJsonString(),
        JsonArray a => "[" + string.Join(" ", a.Select(GoValueText)) + "]",
        JsonObject o => "map[" + string.Join(" ", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + GoValueText(p.Value))) + "]",
        _ => v.ToJsonString(),
    };

    /// <summary>The value as kube's decoder would hold it (string, long, double, bool, map, slice).</summary>
    public static object? ToClr(JsonNode? v) => v switch
    {
        null => null,
        JsonValue jv => jv.GetValueKind() switch
        {
            JsonValueKind.String => jv.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => jv.TryGetValue<long>(out var l) ? l : jv.GetValue<double>(),
            _ => null,
        },
        _ => v,
    };

    public FieldError ToFieldError(string? prefix)
    {
        var name = Path?.ToString() ?? "";
        if (name.StartsWith('.'))
        {
            name = name[1..];
        }
        var field = Code == OpenApiCode.Composite || name.Length == 0
            ? (prefix ?? "<nil>")
            : (prefix is null ? name : prefix + "." + name);
        switch (Code)
        {
            case OpenApiCode.Required:
                return new FieldError(FieldErrorType.Required, field, "", "");
            case OpenApiCode.Enum:
                return NotSupported(field, ToClr(Value as JsonNode) ?? Value, EnumValues ?? []);
            case OpenApiCode.TooLong:
                return new FieldError(FieldErrorType.TooLong, field, "<value omitted>", Valid is { } maxLength
                    ? string.Create(CultureInfo.InvariantCulture, $"may not be more than {maxLength} bytes")
                    : "value is too long");
            case OpenApiCode.MaxItems:
            case OpenApiCode.TooManyProperties:
            {
                var actual = Value is long a ? a : -1;
                var max = Valid ?? -1;
                object shown = actual >= 0 ? actual : FieldError.OmitValue;
                var detail = max >= 0 ? string.Create(CultureInfo.InvariantCulture, $"must have at most {max} items") : "has too many items";
                return new FieldError(FieldErrorType.TooMany, field, shown, detail);
            }
            case OpenApiCode.InvalidType:
                return new FieldError(FieldErrorType.TypeInvalid, field, Value ?? "", Message);
            case OpenApiCode.Composite:
                return new FieldError(FieldErrorType.Invalid, field, "", Message);
            default:
                return new FieldError(FieldErrorType.Invalid, field, Value ?? "", Message);
        }
    }

    private static FieldError NotSupported(string field, object? value, IReadOnlyList<string> values)
    {
        var detail = values.Count > 0 ? "supported values: " + string.Join(", ", values.Select(GoText.Quote)) : "";
        return new FieldError(FieldErrorType.NotSupported, field, value, detail);
    }
}

/// <summary>
/// The dotted path kube-openapi names values by, built only when an error needs it: <c>spec.x</c> for
/// properties, <c>spec.m.key</c> (and <c>.key</c> at the root) for additionalProperties, <c>spec.l[0]</c> for items.
/// </summary>
internal sealed class OpenApiPath
{
    public static readonly OpenApiPath Root = new(null, null, -1, false);

    private readonly OpenApiPath? _parent;
    private readonly string? _name;
    private readonly int _index;
    private readonly bool _additional;
    private string? _text;

    private OpenApiPath(OpenApiPath? parent, string? name, int index, bool additional)
    {
        _parent = parent;
        _name = name;
        _index = index;
        _additional = additional;
    }

    public OpenApiPath Property(string name) => new(this, name, -1, false);

    public OpenApiPath AdditionalProperty(string key) => new(this, key, -1, true);

    public OpenApiPath Index(int index) => new(this, null, index, false);

    public override string ToString()
    {
        if (_text is not null)
        {
            return _text;
        }
        if (_parent is null)
        {
            return _text = "";
        }
        var parent = _parent.ToString();
        if (_name is null)
        {
            _text = parent + "[" + _index.ToString(CultureInfo.InvariantCulture) + "]";
        }
        else if (_additional)
        {
            _text = parent + "." + _name;
        }
        else
        {
            _text = parent.Length == 0 ? _name : parent + "." + _name;
        }
        return _text;
    }
}
