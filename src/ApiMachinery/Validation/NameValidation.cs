using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ApiMachinery.Validation;

/// <summary>
/// Validates that a name is acceptable for a resource kind. <paramref name="prefix"/> is true when the
/// name is a generateName prefix that will get a random suffix (apimachinery's ValidateNameFunc).
/// Returns the problems found; empty when valid.
/// </summary>
public delegate IReadOnlyList<string> ValidateNameFunc(string name, bool prefix);

/// <summary>
/// Name and label syntax checks from k8s.io/apimachinery/pkg/util/validation and pkg/api/validation/path,
/// with kube's exact messages. Lengths are counted in UTF-8 bytes, as Go's len() does.
/// </summary>
public static partial class NameValidation
{
    public const int DNS1123LabelMaxLength = 63;
    public const int DNS1123SubdomainMaxLength = 253;
    public const int DNS1035LabelMaxLength = 63;
    public const int QualifiedNameMaxLength = 63;
    public const int LabelValueMaxLength = 63;

    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string LabelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string DNS1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string DNS1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private const string DNS1123SubdomainFmt = DNS1123LabelFmt + "(\\." + DNS1123LabelFmt + ")*";
    private const string DNS1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private const string DNS1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string DNS1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

    [GeneratedRegex(@"\A" + QualifiedNameFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex(@"\A" + LabelValueFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex(@"\A" + DNS1123LabelFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex DNS1123LabelRegex();

    [GeneratedRegex(@"\A" + DNS1123SubdomainFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex DNS1123SubdomainRegex();

    [GeneratedRegex(@"\A" + DNS1035LabelFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex DNS1035LabelRegex();

    /// <summary>Label and annotation keys: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static IReadOnlyList<string> IsQualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                {
                    errs.Add("prefix part " + EmptyError());
                }
                else
                {
                    errs.AddRange(IsDNS1123Subdomain(prefix).Select(m => "prefix part " + m));
                }
                break;
            default:
                errs.Add("a qualified name " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }
        if (name.Length == 0)
        {
            errs.Add("name part " + EmptyError());
        }
        else if (ByteLength(name) > QualifiedNameMaxLength)
        {
            errs.Add("name part " + MaxLenError(QualifiedNameMaxLength));
        }
        if (!QualifiedNameRegex().IsMatch(name))
        {
            errs.Add("name part " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        }
        return errs;
    }

    public static IReadOnlyList<string> IsValidLabelValue(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > LabelValueMaxLength)
        {
            errs.Add(MaxLenError(LabelValueMaxLength));
        }
        if (!LabelValueRegex().IsMatch(value))
        {
            errs.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        }
        return errs;
    }

    public static IReadOnlyList<string> IsDNS1123Label(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > DNS1123LabelMaxLength)
        {
            errs.Add(MaxLenError(DNS1123LabelMaxLength));
        }
        if (!DNS1123LabelRegex().IsMatch(value))
        {
            // A valid subdomain that is no valid label (length already checked) can only be failing on dots.
            errs.Add(DNS1123SubdomainRegex().IsMatch(value)
                ? "must not contain dots"
                : RegexError(DNS1123LabelErrMsg, DNS1123LabelFmt, "my-name", "123-abc"));
        }
        return errs;
    }

    public static IReadOnlyList<string> IsDNS1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > DNS1123SubdomainMaxLength)
        {
            errs.Add(MaxLenError(DNS1123SubdomainMaxLength));
        }
        if (!DNS1123SubdomainRegex().IsMatch(value))
        {
            errs.Add(RegexError(DNS1123SubdomainErrMsg, DNS1123SubdomainFmt, "example.com"));
        }
        return errs;
    }

    public static IReadOnlyList<string> IsDNS1035Label(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > DNS1035LabelMaxLength)
        {
            errs.Add(MaxLenError(DNS1035LabelMaxLength));
        }
        if (!DNS1035LabelRegex().IsMatch(value))
        {
            errs.Add(RegexError(DNS1035LabelErrMsg, DNS1035LabelFmt, "my-name", "abc-123"));
        }
        return errs;
    }

    /// <summary>Names that must be usable as one URL path segment (and etcd key segment): not . or .., no / or %.</summary>
    public static IReadOnlyList<string> IsValidPathSegmentName(string name)
    {
        if (name is "." or "..")
        {
            return [$"may not be '{name}'"];
        }
        return IsValidPathSegmentPrefix(name);
    }

    /// <summary>As <see cref="IsValidPathSegmentName"/> for a prefix: a suffix may still make "." or ".." valid.</summary>
    public static IReadOnlyList<string> IsValidPathSegmentPrefix(string name)
    {
        var errs = new List<string>();
        if (name.Contains('/', StringComparison.Ordinal))
        {
            errs.Add("may not contain '/'");
        }
        if (name.Contains('%', StringComparison.Ordinal))
        {
            errs.Add("may not contain '%'");
        }
        return errs;
    }

    /// <summary>The generic store's own name check (path.ValidatePathSegmentName), run for every kind.</summary>
    public static IReadOnlyList<string> ValidatePathSegmentName(string name, bool prefix) =>
        prefix ? IsValidPathSegmentPrefix(name) : IsValidPathSegmentName(name);

    /// <summary>ValidateNameFunc for kinds whose names are DNS subdomains (most kinds, custom resources).</summary>
    public static IReadOnlyList<string> NameIsDNSSubdomain(string name, bool prefix) =>
        IsDNS1123Subdomain(prefix ? MaskTrailingDash(name) : name);

    /// <summary>ValidateNameFunc for kinds whose names are DNS labels (namespaces, services' ports...).</summary>
    public static IReadOnlyList<string> NameIsDNSLabel(string name, bool prefix) =>
        IsDNS1123Label(prefix ? MaskTrailingDash(name) : name);

    /// <summary>ValidateNameFunc for kinds whose names are DNS-1035 labels (services).</summary>
    public static IReadOnlyList<string> NameIsDNS1035Label(string name, bool prefix) =>
        IsDNS1035Label(prefix ? MaskTrailingDash(name) : name);

    /// <summary>Namespace names are DNS labels.</summary>
    public static IReadOnlyList<string> ValidateNamespaceName(string name, bool prefix) => NameIsDNSLabel(name, prefix);

    /// <summary>
    /// Makes a generateName prefix checkable as a whole name. Faithful to kube, which drops the last two
    /// characters (not one) before appending "a" when the prefix ends in '-'.
    /// </summary>
    public static string MaskTrailingDash(string name)
    {
        if (name.Length > 1 && name.EndsWith('-'))
        {
            return string.Concat(name.AsSpan(0, name.Length - 2), "a");
        }
        return name;
    }

    public static string MaxLenError(int length) =>
        string.Create(CultureInfo.InvariantCulture, $"must be no more than {length} characters");

    public static string EmptyError() => "must be non-empty";

    /// <summary>validation.RegexError, including its quirky <c>'a',  or 'b', </c> example layout.</summary>
    public static string RegexError(string message, string format, params string[] examples)
    {
        if (examples.Length == 0)
        {
            return message + " (regex used for validation is '" + format + "')";
        }
        var sb = new StringBuilder(message).Append(" (e.g. ");
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(" or ");
            }
            sb.Append('\'').Append(examples[i]).Append("', ");
        }
        sb.Append("regex used for validation is '").Append(format).Append("')");
        return sb.ToString();
    }

    internal static int ByteLength(string value) => Encoding.UTF8.GetByteCount(value);
}
