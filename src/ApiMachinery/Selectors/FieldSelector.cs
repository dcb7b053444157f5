using System.Text;
using ApiMachinery.Text;

namespace ApiMachinery.Selectors;

/// <summary>One term of a field selector; the operator is Equals (for "=" and "==") or NotEquals.</summary>
public sealed record FieldRequirement(string Field, SelectionOperator Operator, string Value)
{
    /// <summary>The term in selector syntax with the value escaped (hasTerm/notHasTerm String()).</summary>
    public override string ToString() =>
        Field + (Operator == SelectionOperator.NotEquals ? "!=" : "=") + FieldSelector.EscapeValue(Value);
}

/// <summary>
/// A field selector (k8s.io/apimachinery/pkg/fields): <c>a=b</c>, <c>a==b</c>, <c>a!=b</c> terms ANDed by ',',
/// values unescaped from <c>\\</c>, <c>\,</c> and <c>\=</c>. The server checks <see cref="Requirements"/>
/// against the fields a resource supports, then matches objects with a field getter.
/// </summary>
public sealed class FieldSelector
{
    public static readonly FieldSelector Everything = new([], nothing: false);

    public static readonly FieldSelector Nothing = new([], nothing: true);

    public const string MetadataName = "metadata.name";

    public const string MetadataNamespace = "metadata.namespace";

    private static readonly string[] TermOperators = ["!=", "==", "="];

    private readonly bool _nothing;

    private FieldSelector(IReadOnlyList<FieldRequirement> requirements, bool nothing)
    {
        Requirements = requirements;
        _nothing = nothing;
    }

    /// <summary>The terms, in the order kube keeps them (sorted by their raw text).</summary>
    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEmpty => !_nothing && Requirements.Count == 0;

    /// <summary>fields.ParseSelector.</summary>
    /// <exception cref="SelectorParseException">
    /// <c>invalid selector: 'x'; can't understand 'x'</c>, <c>invalid field selector: invalid escape sequence: \x</c>,
    /// or <c>invalid field selector: unescaped character in value: 61</c> (Go prints the rune as a number).
    /// </exception>
    public static FieldSelector Parse(string selector)
    {
        var parts = SplitTerms(selector);
        parts.Sort(StringComparer.Ordinal);
        var requirements = new List<FieldRequirement>();
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }
            if (!TrySplitTerm(part, out var lhs, out var op, out var rhs))
            {
                throw new SelectorParseException($"invalid selector: '{selector}'; can't understand '{part}'");
            }
            var value = UnescapeValue(rhs);
            requirements.Add(new FieldRequirement(lhs, op == "!=" ? SelectionOperator.NotEquals : SelectionOperator.Equals, value));
        }
        return new FieldSelector(requirements, nothing: false);
    }

    public static bool TryParse(string selector, out FieldSelector result)
    {
        try
        {
            result = Parse(selector);
            return true;
        }
        catch (SelectorParseException)
        {
            result = Nothing;
            return false;
        }
    }

    /// <summary>Exact matches for every entry (fields.SelectorFromSet), in the order given.</summary>
    public static FieldSelector FromSet(IEnumerable<KeyValuePair<string, string>> set) =>
        new(set.Select(p => new FieldRequirement(p.Key, SelectionOperator.Equals, p.Value)).ToList(), nothing: false);

    /// <summary>True when every term holds; the getter answers null for a field the object lacks, which compares as "".</summary>
    public bool Matches(Func<string, string?> fieldValueGetter)
    {
        if (_nothing)
        {
            return false;
        }
        foreach (var requirement in Requirements)
        {
            var actual = fieldValueGetter(requirement.Field) ?? "";
            var equal = string.Equals(actual, requirement.Value, StringComparison.Ordinal);
            if (equal == (requirement.Operator == SelectionOperator.NotEquals))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The value an "=" term requires for a field (RequiresExactMatch), e.g. for a name or namespace index.</summary>
    public bool TryGetExactMatch(string field, out string value)
    {
        foreach (var requirement in Requirements)
        {
            if (requirement.Field == field && requirement.Operator == SelectionOperator.Equals)
            {
                value = requirement.Value;
                return true;
            }
        }
        value = "";
        return false;
    }

    /// <summary>The value of a <c>metadata.name=x</c> term, or null.</summary>
    public string? ExactName => TryGetExactMatch(MetadataName, out var v) ? v : null;

    /// <summary>The value of a <c>metadata.namespace=x</c> term, or null.</summary>
    public string? ExactNamespace => TryGetExactMatch(MetadataNamespace, out var v) ? v : null;

    /// <summary>
    /// Rewrites every term through a field label conversion (fields.Selector.Transform); the function throws to
    /// reject a field. A term converted to an empty field and value is dropped.
    /// </summary>
    public FieldSelector Transform(Func<string, string, (string Field, string Value)> convert)
    {
        if (_nothing)
        {
            return this;
        }
        var next = new List<FieldRequirement>(Requirements.Count);
        foreach (var requirement in Requirements)
        {
            var (field, value) = convert(requirement.Field, requirement.Value);
            if (field.Length == 0 && value.Length == 0)
            {
                continue;
            }
            next.Add(requirement with { Field = field, Value = value });
        }
        return new FieldSelector(next, nothing: false);
    }

    /// <summary>
    /// The conversion every kind gets by default (runtime.DefaultMetaV1FieldSelectorConversion): only
    /// metadata.name and metadata.namespace; anything else fails with kube's message.
    /// </summary>
    /// <exception cref="SelectorParseException"><c>"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"</c>.</exception>
    public static (string Field, string Value) DefaultMetaFieldConversion(string field, string value)
    {
        if (field is MetadataName or MetadataNamespace)
        {
            return (field, value);
        }
        throw new SelectorParseException(
            $"{GoText.Quote(field)} is not a known field selector: only {GoText.Quote(MetadataName)}, {GoText.Quote(MetadataNamespace)}");
    }

    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    /// <summary>Escapes <c>\</c>, <c>,</c> and <c>=</c> in a value (fields.EscapeValue).</summary>
    public static string EscapeValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace(",", "\\,", StringComparison.Ordinal)
            .Replace("=", "\\=", StringComparison.Ordinal);

    /// <summary>fields.UnescapeValue: only <c>\\</c>, <c>\,</c> and <c>\=</c> are escapes; a bare ',' or '=' is an error.</summary>
    /// <exception cref="SelectorParseException">An invalid escape or an unescaped ',' or '='.</exception>
    public static string UnescapeValue(string value)
    {
        if (value.IndexOfAny(['\\', ',', '=']) < 0)
        {
            return value;
        }
        var sb = new StringBuilder(value.Length);
        var inSlash = false;
        foreach (var rune in GoText.EnumerateRunesLenient(value))
        {
            var c = rune.Value;
            if (inSlash)
            {
                if (c is '\\' or ',' or '=')
                {
                    sb.Append((char)c);
                }
                else
                {
                    throw new SelectorParseException("invalid field selector: invalid escape sequence: \\" + rune);
                }
                inSlash = false;
                continue;
            }
            switch (c)
            {
                case '\\':
                    inSlash = true;
                    break;
                case ',':
                case '=':
                    throw new SelectorParseException($"invalid field selector: unescaped character in value: {c}");
                default:
                    sb.Append(rune.ToString());
                    break;
            }
        }
        if (inSlash)
        {
            throw new SelectorParseException("invalid field selector: invalid escape sequence: \\");
        }
        return sb.ToString();
    }

    // Splits on commas that are not escaped; the character after a backslash is skipped whatever it is.
    private static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        if (selector.Length == 0)
        {
            return terms;
        }
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < selector.Length; i++)
        {
            var c = selector[i];
            if (inSlash)
            {
                inSlash = false;
            }
            else if (c == '\\')
            {
                inSlash = true;
            }
            else if (c == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }
        terms.Add(selector[start..]);
        return terms;
    }

    // The first position where "!=", "==" or "=" starts splits the term.
    private static bool TrySplitTerm(string term, out string lhs, out string op, out string rhs)
    {
        for (var i = 0; i < term.Length; i++)
        {
            foreach (var candidate in TermOperators)
            {
                if (term.AsSpan(i).StartsWith(candidate, StringComparison.Ordinal))
                {
                    lhs = term[..i];
                    op = candidate;
                    rhs = term[(i + candidate.Length)..];
                    return true;
                }
            }
        }
        lhs = op = rhs = "";
        return false;
    }
}
