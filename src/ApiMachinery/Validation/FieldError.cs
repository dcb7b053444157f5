using System.Globalization;
using ApiMachinery.Text;

namespace ApiMachinery.Validation;

/// <summary>Kinds of field errors (field.ErrorType); each maps 1:1 to a metav1.CauseType string.</summary>
public enum FieldErrorType
{
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
    TypeInvalid,
}

/// <summary>
/// One field-level validation error (k8s.io/apimachinery/pkg/util/validation/field.Error).
/// <see cref="ToString"/> is kube's <c>field: body</c> text, e.g. <c>spec.containers: Required value</c>.
/// </summary>
public sealed class FieldError
{
    /// <summary>Pass as the bad value to leave the value out of the message (field.OmitValueType).</summary>
    public static readonly object OmitValue = new();

    public FieldError(FieldErrorType type, string field, object? badValue, string detail)
    {
        Type = type;
        Field = field;
        BadValue = badValue;
        Detail = detail;
    }

    public FieldErrorType Type { get; }

    public string Field { get; }

    public object? BadValue { get; }

    public string Detail { get; }

    /// <summary>The metav1.CauseType string reported in Status details causes ("FieldValueRequired", ...).</summary>
    public string CauseType => CauseTypeOf(Type);

    public static string CauseTypeOf(FieldErrorType type) => type switch
    {
        FieldErrorType.NotFound => "FieldValueNotFound",
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        FieldErrorType.Internal => "InternalError",
        FieldErrorType.TypeInvalid => "FieldValueTypeInvalid",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The canonical words for a type ("Required value", "Invalid value", ...).</summary>
    public static string DescriptionOf(FieldErrorType type) => type switch
    {
        FieldErrorType.NotFound => "Not found",
        FieldErrorType.Required => "Required value",
        FieldErrorType.Duplicate => "Duplicate value",
        FieldErrorType.Invalid => "Invalid value",
        FieldErrorType.NotSupported => "Unsupported value",
        FieldErrorType.Forbidden => "Forbidden",
        FieldErrorType.TooLong => "Too long",
        FieldErrorType.TooMany => "Too many",
        FieldErrorType.Internal => "Internal error",
        FieldErrorType.TypeInvalid => "Invalid value",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static FieldError NotFound(FieldPath field, object? value) => new(FieldErrorType.NotFound, field.ToString(), value, "");

    public static FieldError Required(FieldPath field, string detail = "") => new(FieldErrorType.Required, field.ToString(), "", detail);

    public static FieldError Duplicate(FieldPath field, object? value) => new(FieldErrorType.Duplicate, field.ToString(), value, "");

    public static FieldError Invalid(FieldPath field, object? value, string detail) => new(FieldErrorType.Invalid, field.ToString(), value, detail);

    public static FieldError TypeInvalid(FieldPath field, object? value, string detail) => new(FieldErrorType.TypeInvalid, field.ToString(), value, detail);

    /// <summary>Detail lists the supported values, each Go-quoted: <c>supported values: "a", "b"</c>.</summary>
    public static FieldError NotSupported(FieldPath field, object? value, IEnumerable<string> validValues)
    {
        var quoted = validValues.Select(GoText.Quote).ToList();
        var detail = quoted.Count > 0 ? "supported values: " + string.Join(", ", quoted) : "";
        return new FieldError(FieldErrorType.NotSupported, field.ToString(), value, detail);
    }

    public static FieldError Forbidden(FieldPath field, string detail) => new(FieldErrorType.Forbidden, field.ToString(), "", detail);

    /// <summary>The value is never printed; a negative maxLength gives "value is too long".</summary>
    public static FieldError TooLong(FieldPath field, int maxLength)
    {
        var detail = maxLength >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"may not be more than {maxLength} bytes")
            : "value is too long";
        return new FieldError(FieldErrorType.TooLong, field.ToString(), "<value omitted>", detail);
    }

    /// <summary>A negative quantity leaves the value out, a negative maximum gives "has too many items".</summary>
    public static FieldError TooMany(FieldPath field, int actualQuantity, int maxQuantity)
    {
        var detail = maxQuantity >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"must have at most {maxQuantity} items")
            : "has too many items";
        object actual = actualQuantity >= 0 ? actualQuantity : OmitValue;
        return new FieldError(FieldErrorType.TooMany, field.ToString(), actual, detail);
    }

    public static FieldError InternalError(FieldPath field, string message) => new(FieldErrorType.Internal, field.ToString(), null, message);

    /// <summary>The message without the field name (field.Error.ErrorBody), also the cause message in a Status.</summary>
    public string ErrorBody()
    {
        string s;
        if (Type is FieldErrorType.Required or FieldErrorType.Forbidden or FieldErrorType.TooLong or FieldErrorType.Internal
            || ReferenceEquals(BadValue, OmitValue))
        {
            s = DescriptionOf(Type);
        }
        else
        {
            s = DescriptionOf(Type) + ": " + FormatBadValue(BadValue);
        }
        if (Detail.Length != 0)
        {
            s += ": " + Detail;
        }
        return s;
    }

    public override string ToString() => Field + ": " + ErrorBody();

    /// <summary>
    /// The text of field.ErrorList.ToAggregate(): duplicates (by message) dropped, one error alone,
    /// several as <c>[a, b]</c>; empty for no errors.
    /// </summary>
    public static string Aggregate(IEnumerable<FieldError> errors)
    {
        var messages = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            var msg = error.ToString();
            if (seen.Add(msg))
            {
                messages.Add(msg);
            }
        }
        return messages.Count switch
        {
            0 => "",
            1 => messages[0],
            _ => "[" + string.Join(", ", messages) + "]",
        };
    }

    // Mirrors the type switch in ErrorBody: simple kinds with %v, strings with %q, the rest in a %#v-like form.
    private static string FormatBadValue(object? value)
    {
        switch (value)
        {
            case null:
                return GoText.Quote("null");
            case string s:
                return GoText.Quote(s);
            case bool b:
                return b ? "true" : "false";
            case double d:
                return GoText.FormatFloat(d, 'g');
            case float f:
                return GoText.FormatFloat(f, 'g', 32);
            case IFormattable formattable when value.GetType().IsPrimitive || value is decimal:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            default:
                return GoText.GoSyntax(value);
        }
    }
}
