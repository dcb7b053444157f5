using System.Text;
using System.Text.Json.Nodes;
using Admission.Quota;
using ApiMachinery.Json;
using ApiMachinery.Selectors;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>A bad value printed as Go prints the value kube's validation holds (a struct's %#v, a quantity's String()).</summary>
internal sealed class GoValue(string text)
{
    public override string ToString() => text;
}

/// <summary>
/// The rules every API group's validation shares (pkg/apis/core/validation's helpers and
/// k8s.io/apimachinery's metav1 validation): names, labels, selectors, quantities, immutability.
/// Every check appends to the caller's error list, so a kind reports all its errors at once.
/// </summary>
internal static class Common
{
    public const string FieldImmutable = ValueValidation.FieldImmutableErrorMsg;

    public static void NonNegative(List<FieldError> errs, long value, FieldPath path) =>
        errs.AddRange(ValueValidation.ValidateNonnegativeField(value, path));

    /// <summary>A field that must be greater than zero (kube's isNotPositiveErrorMsg / "must be greater than 0").</summary>
    public static void Positive(List<FieldError> errs, long value, FieldPath path, string message = "must be greater than zero")
    {
        if (value <= 0)
        {
            errs.Add(FieldError.Invalid(path, value, message));
        }
    }

    /// <summary>ValidateImmutableField: the new value (as Go prints it) is refused when it differs.</summary>
    public static void Immutable(List<FieldError> errs, JsonNode? newValue, JsonNode? oldValue, FieldPath path, object? printed = null)
    {
        if (!Read.DeepEquals(newValue, oldValue))
        {
            errs.Add(FieldError.Invalid(path, printed ?? Printable(newValue), FieldImmutable));
        }
    }

    /// <summary>A JSON scalar as the Go value it decodes to; composite values in a readable Go-like form.</summary>
    public static object? Printable(JsonNode? value)
    {
        if (value is null)
        {
            return "";
        }
        if (value is not JsonValue v)
        {
            return value;
        }
        return v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.AsString() ?? "",
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.Number => Read.Number(v) is { } number ? number : (object)v,
            _ => v,
        };
    }

    public static void DNS1123Label(List<FieldError> errs, string value, FieldPath path) =>
        errs.AddRange(NameValidation.IsDNS1123Label(value).Select(m => FieldError.Invalid(path, value, m)));

    public static void DNS1123Subdomain(List<FieldError> errs, string value, FieldPath path) =>
        errs.AddRange(NameValidation.IsDNS1123Subdomain(value).Select(m => FieldError.Invalid(path, value, m)));

    public static void DNS1035Label(List<FieldError> errs, string value, FieldPath path) =>
        errs.AddRange(NameValidation.IsDNS1035Label(value).Select(m => FieldError.Invalid(path, value, m)));

    public static void QualifiedName(List<FieldError> errs, string value, FieldPath path) =>
        errs.AddRange(NameValidation.IsQualifiedName(value).Select(m => FieldError.Invalid(path, value, m)));

    /// <summary>A name that must be given and valid for its kind's name rule (e.g. a referenced object's name).</summary>
    public static void RequiredName(List<FieldError> errs, string value, FieldPath path, Func<string, bool, IReadOnlyList<string>> rule)
    {
        if (value.Length == 0)
        {
            errs.Add(FieldError.Required(path, ""));
            return;
        }
        errs.AddRange(rule(value, false).Select(m => FieldError.Invalid(path, value, m)));
    }

    public static void Labels(List<FieldError> errs, IReadOnlyDictionary<string, string> labels, FieldPath path) =>
        errs.AddRange(ObjectMetaValidator.ValidateLabels(labels, path));

    public static void Annotations(List<FieldError> errs, IReadOnlyDictionary<string, string> annotations, FieldPath path) =>
        errs.AddRange(ObjectMetaValidator.ValidateAnnotations(annotations, path));

    /// <summary>Values of a closed set: "" is Required, anything else outside it NotSupported.</summary>
    public static void OneOf(List<FieldError> errs, string value, FieldPath path, params string[] supported)
    {
        if (value.Length == 0)
        {
            errs.Add(FieldError.Required(path, ""));
        }
        else if (!supported.Contains(value, StringComparer.Ordinal))
        {
            errs.Add(FieldError.NotSupported(path, value, supported));
        }
    }

    /// <summary>As <see cref="OneOf"/> for an optional field: "" is fine.</summary>
    public static void OptionalOneOf(List<FieldError> errs, string value, FieldPath path, params string[] supported)
    {
        if (value.Length > 0 && !supported.Contains(value, StringComparer.Ordinal))
        {
            errs.Add(FieldError.NotSupported(path, value, supported));
        }
    }

    // ------------------------------------------------------------------ label selectors

    /// <summary>metav1 validation's ValidateLabelSelector (values are checked unless allowed otherwise).</summary>
    public static void LabelSelector(List<FieldError> errs, JsonObject? selector, FieldPath path, bool allowInvalidLabelValue = false)
    {
        if (selector is null)
        {
            return;
        }
        Labels(errs, Read.Map(selector, "matchLabels"), path.Child("matchLabels"));
        var expressions = Read.Items(selector, "matchExpressions");
        for (var i = 0; i < expressions.Count; i++)
        {
            var e = expressions[i];
            var p = path.Child("matchExpressions").Index(i);
            var op = e.GetString("operator") ?? "";
            var values = Read.Strings(e, "values");
            switch (op)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
                    }
                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        errs.Add(FieldError.Forbidden(p.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }
                    break;
                default:
                    errs.Add(FieldError.Invalid(p.Child("operator"), op, "not a valid selector operator"));
                    break;
            }
            errs.AddRange(ObjectMetaValidator.ValidateLabelName(e.GetString("key") ?? "", p.Child("key")));
            if (!allowInvalidLabelValue)
            {
                for (var j = 0; j < values.Count; j++)
                {
                    errs.AddRange(NameValidation.IsValidLabelValue(values[j]).Select(m => FieldError.Invalid(p.Child("values").Index(j), values[j], m)));
                }
            }
        }
    }

    /// <summary>metav1.LabelSelectorAsSelector; null when the selector does not convert.</summary>
    public static LabelSelector? AsSelector(JsonObject? selector)
    {
        try
        {
            return ApiMachinery.Selectors.LabelSelector.FromLabelSelectorJson(selector);
        }
        catch (SelectorParseException)
        {
            return null;
        }
    }

    /// <summary>A label selector as kube prints the dereferenced metav1.LabelSelector (%#v).</summary>
    public static GoValue SelectorValue(JsonObject? selector, string package = "v1")
    {
        if (selector is null)
        {
            return new GoValue("null");
        }
        var sb = new StringBuilder(package).Append(".LabelSelector{MatchLabels:");
        var labels = Read.Map(selector, "matchLabels");
        sb.Append(Read.Has(selector, "matchLabels") ? GoStringMap(labels) : "map[string]string(nil)");
        sb.Append(", MatchExpressions:");
        var expressions = Read.Items(selector, "matchExpressions");
        if (!Read.Has(selector, "matchExpressions"))
        {
            sb.Append('[').Append(']').Append(package).Append(".LabelSelectorRequirement(nil)");
        }
        else
        {
            sb.Append("[]").Append(package).Append(".LabelSelectorRequirement{");
            sb.Append(string.Join(", ", expressions.Select(e =>
                $"{package}.LabelSelectorRequirement{{Key:{GoText.Quote(e.GetString("key") ?? "")}, Operator:{GoText.Quote(e.GetString("operator") ?? "")}, Values:{GoStringSlice(Read.Has(e, "values") ? Read.Strings(e, "values") : null)}}}")));
            sb.Append('}');
        }
        return new GoValue(sb.Append('}').ToString());
    }

    /// <summary>Go's %#v of a map[string]string (keys sorted).</summary>
    public static string GoStringMap(IReadOnlyDictionary<string, string> map) =>
        "map[string]string{" + string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => GoText.Quote(p.Key) + ":" + GoText.Quote(p.Value))) + "}";

    /// <summary>Go's %#v of a []string (nil prints as []string(nil)).</summary>
    public static string GoStringSlice(IReadOnlyList<string>? values) =>
        values is null ? "[]string(nil)" : "[]string{" + string.Join(", ", values.Select(GoText.Quote)) + "}";

    // ------------------------------------------------------------------ quantities

    /// <summary>Parses a quantity field; null when absent or malformed (the decoder refuses malformed ones first).</summary>
    public static Quantity? Quantity(JsonNode? value) =>
        Read.QuantityText(value) is { } text && Admission.Quota.Quantity.TryParse(text, out var q) ? q : null;

    /// <summary>ValidateNonnegativeQuantity: the value printed as the quantity's canonical string.</summary>
    public static void NonNegativeQuantity(List<FieldError> errs, JsonNode? value, FieldPath path)
    {
        if (Quantity(value) is { } q && q.Value < 0)
        {
            errs.Add(FieldError.Invalid(path, q.ToString(), ValueValidation.IsNegativeErrorMsg));
        }
    }

    public static void PositiveQuantity(List<FieldError> errs, JsonNode? value, FieldPath path)
    {
        if (Quantity(value) is { } q && q.Value <= 0)
        {
            errs.Add(FieldError.Invalid(path, q.ToString(), "must be greater than zero"));
        }
    }

    // ------------------------------------------------------------------ ports

    /// <summary>ValidatePortNumOrName over an IntOrString field.</summary>
    public static void PortNumOrName(List<FieldError> errs, JsonNode? port, FieldPath path)
    {
        switch (Printable(port))
        {
            case long n:
                errs.AddRange(ValueValidation.IsValidPortNum(n).Select(m => FieldError.Invalid(path, n, m)));
                break;
            case string s:
                errs.AddRange(ValueValidation.IsValidPortName(s).Select(m => FieldError.Invalid(path, s, m)));
                break;
            default:
                // An unset IntOrString is the integer 0.
                errs.AddRange(ValueValidation.IsValidPortNum(0).Select(m => FieldError.Invalid(path, 0L, m)));
                break;
        }
    }

    /// <summary>Object references by name under a kind's name rule, e.g. a class or claim name.</summary>
    public static void NameReference(List<FieldError> errs, string name, FieldPath path, Func<string, bool, IReadOnlyList<string>> rule) =>
        errs.AddRange(rule(name, false).Select(m => FieldError.Invalid(path, name, m)));
}
