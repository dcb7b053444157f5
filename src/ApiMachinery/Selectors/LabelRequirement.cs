using System.Globalization;
using System.Text;
using ApiMachinery.Validation;

namespace ApiMachinery.Selectors;

/// <summary>One term of a label selector: a key, an operator and its values (labels.Requirement).</summary>
public sealed class LabelRequirement
{
    private static readonly string[] ValidOperators =
        ["in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"];

    private LabelRequirement(string key, SelectionOperator op, IReadOnlyList<string> values)
    {
        Key = key;
        Operator = op;
        Values = values;
    }

    public string Key { get; }

    public SelectionOperator Operator { get; }

    /// <summary>The values as given (the parser passes them sorted and without duplicates).</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>
    /// labels.NewRequirement: validates the key (qualified name), the number of values for the operator,
    /// integer values for gt/lt and every value as a label value, reporting all problems in one message.
    /// </summary>
    /// <exception cref="SelectorParseException">The requirement is invalid.</exception>
    public static LabelRequirement Create(string key, SelectionOperator op, IEnumerable<string> values, FieldPath? path = null)
    {
        var vals = values.ToList();
        // kube copies the values with append([]string(nil), ...), so an empty list prints as a nil slice.
        object badValues = vals.Count == 0 ? NilStringSlice.Instance : vals;
        var errs = new List<FieldError>();
        if (ValidateKey(key, FieldPath.ChildOf(path, "key")) is { } keyError)
        {
            errs.Add(keyError);
        }
        var valuePath = FieldPath.ChildOf(path, "values");
        switch (op)
        {
            case SelectionOperator.In:
            case SelectionOperator.NotIn:
                if (vals.Count == 0)
                {
                    errs.Add(FieldError.Invalid(valuePath, badValues, "for 'in', 'notin' operators, values set can't be empty"));
                }
                break;
            case SelectionOperator.Equals:
            case SelectionOperator.DoubleEquals:
            case SelectionOperator.NotEquals:
                if (vals.Count != 1)
                {
                    errs.Add(FieldError.Invalid(valuePath, badValues, "exact-match compatibility requires one single value"));
                }
                break;
            case SelectionOperator.Exists:
            case SelectionOperator.DoesNotExist:
                if (vals.Count != 0)
                {
                    errs.Add(FieldError.Invalid(valuePath, badValues, "values set must be empty for exists and does not exist"));
                }
                break;
            case SelectionOperator.GreaterThan:
            case SelectionOperator.LessThan:
                if (vals.Count != 1)
                {
                    errs.Add(FieldError.Invalid(valuePath, badValues, "for 'Gt', 'Lt' operators, exactly one value is required"));
                }
                for (var i = 0; i < vals.Count; i++)
                {
                    if (!TryParseInt64(vals[i], out _))
                    {
                        errs.Add(FieldError.Invalid(valuePath.Index(i), vals[i], "for 'Gt', 'Lt' operators, the value must be an integer"));
                    }
                }
                break;
            default:
                errs.Add(FieldError.NotSupported(FieldPath.ChildOf(path, "operator"), op.ToString(), ValidOperators));
                break;
        }
        for (var i = 0; i < vals.Count; i++)
        {
            var valueErrors = NameValidation.IsValidLabelValue(vals[i]);
            if (valueErrors.Count != 0)
            {
                errs.Add(FieldError.Invalid(valuePath.Index(i).Key(key), vals[i], string.Join("; ", valueErrors)));
            }
        }
        if (errs.Count > 0)
        {
            throw new SelectorParseException(FieldError.Aggregate(errs));
        }
        return new LabelRequirement(key, op, vals);
    }

    /// <summary>A requirement trusted to be valid (labels.SelectorFromValidatedSet does no checks either).</summary>
    internal static LabelRequirement CreateUnchecked(string key, SelectionOperator op, IReadOnlyList<string> values) => new(key, op, values);

    internal static FieldError? ValidateKey(string key, FieldPath? path)
    {
        var errs = NameValidation.IsQualifiedName(key);
        return errs.Count == 0 ? null : new FieldError(FieldErrorType.Invalid, FieldPath.ToString(path), key, string.Join("; ", errs));
    }

    /// <summary>Whether the labels satisfy this requirement; a missing label satisfies only !=, notin and !key.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        string? value = null;
        var has = labels is not null && labels.TryGetValue(Key, out value);
        switch (Operator)
        {
            case SelectionOperator.In:
            case SelectionOperator.Equals:
            case SelectionOperator.DoubleEquals:
                return has && HasValue(value!);
            case SelectionOperator.NotIn:
            case SelectionOperator.NotEquals:
                return !has || !HasValue(value!);
            case SelectionOperator.Exists:
                return has;
            case SelectionOperator.DoesNotExist:
                return !has;
            case SelectionOperator.GreaterThan:
            case SelectionOperator.LessThan:
                if (!has || !TryParseInt64(value!, out var labelValue) || Values.Count != 1 || !TryParseInt64(Values[0], out var bound))
                {
                    return false;
                }
                return Operator == SelectionOperator.GreaterThan ? labelValue > bound : labelValue < bound;
            default:
                return false;
        }
    }

    /// <summary>The selector syntax of this requirement; several values are printed sorted.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Operator == SelectionOperator.DoesNotExist)
        {
            sb.Append('!');
        }
        sb.Append(Key);
        switch (Operator)
        {
            case SelectionOperator.Equals: sb.Append('='); break;
            case SelectionOperator.DoubleEquals: sb.Append("=="); break;
            case SelectionOperator.NotEquals: sb.Append("!="); break;
            case SelectionOperator.In: sb.Append(" in "); break;
            case SelectionOperator.NotIn: sb.Append(" notin "); break;
            case SelectionOperator.GreaterThan: sb.Append('>'); break;
            case SelectionOperator.LessThan: sb.Append('<'); break;
            case SelectionOperator.Exists:
            case SelectionOperator.DoesNotExist:
                return sb.ToString();
        }
        var setBased = Operator is SelectionOperator.In or SelectionOperator.NotIn;
        if (setBased)
        {
            sb.Append('(');
        }
        sb.Append(Values.Count == 1 ? Values[0] : string.Join(",", Values.Order(StringComparer.Ordinal)));
        if (setBased)
        {
            sb.Append(')');
        }
        return sb.ToString();
    }

    private bool HasValue(string value)
    {
        foreach (var v in Values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }

    private sealed class NilStringSlice
    {
        public static readonly NilStringSlice Instance = new();

        public override string ToString() => "[]string(nil)";
    }

    // strconv.ParseInt(s, 10, 64): optional sign, decimal digits only.
    internal static bool TryParseInt64(string s, out long value) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
