using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ApiMachinery.Validation;

/// <summary>
/// The value checks of k8s.io/apimachinery/pkg/util/validation beyond names (ports, config keys,
/// environment variables, IPs, percentages), with kube's messages; plus the two generic field
/// rules of pkg/api/validation (non-negative, immutable). Each Is* answers the problems found.
/// </summary>
public static partial class ValueValidation
{
    public const string FieldImmutableErrorMsg = "field is immutable";

    public const string IsNegativeErrorMsg = "must be greater than or equal to 0";

    private const string ConfigMapKeyFmt = "[-._a-zA-Z0-9]+";
    private const string ConfigMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
    private const string CIdentifierFmt = "[A-Za-z_][A-Za-z0-9_]*";
    private const string CIdentifierErrMsg = "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'";
    private const string PercentFmt = "[0-9]+%";
    private const string PercentErrMsg = "a valid percent string must be a numeric string followed by an ending '%'";
    private const string HttpHeaderNameFmt = "[-A-Za-z0-9]+";
    private const string HttpHeaderNameErrMsg = "a valid HTTP header must consist of alphanumeric characters or '-'";

    [GeneratedRegex(@"\A" + ConfigMapKeyFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigMapKeyRegex();

    [GeneratedRegex(@"\A" + CIdentifierFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex CIdentifierRegex();

    [GeneratedRegex(@"\A" + PercentFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex PercentRegex();

    [GeneratedRegex(@"\A" + HttpHeaderNameFmt + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex HttpHeaderNameRegex();

    [GeneratedRegex(@"\A[-a-z0-9]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex PortNameCharsetRegex();

    [GeneratedRegex("[a-z]", RegexOptions.CultureInvariant)]
    private static partial Regex PortNameOneLetterRegex();

    /// <summary>validation.InclusiveRangeError: "must be between 1 and 65535, inclusive".</summary>
    public static string InclusiveRangeError(long lo, long hi) =>
        string.Create(CultureInfo.InvariantCulture, $"must be between {lo} and {hi}, inclusive");

    public static IReadOnlyList<string> IsInRange(long value, long min, long max) =>
        value >= min && value <= max ? [] : [InclusiveRangeError(min, max)];

    /// <summary>A port number: 1 to 65535.</summary>
    public static IReadOnlyList<string> IsValidPortNum(long port) => IsInRange(port, 1, 65535);

    /// <summary>A user or group id: 0 to 2147483647.</summary>
    public static IReadOnlyList<string> IsValidUserOrGroupId(long id) => IsInRange(id, 0, int.MaxValue);

    /// <summary>An IANA service name (a port's name): at most 15 of a-z, 0-9 and '-', with a letter, no "--", no '-' at either end.</summary>
    public static IReadOnlyList<string> IsValidPortName(string port)
    {
        var errs = new List<string>();
        if (port.Length > 15)
        {
            errs.Add(NameValidation.MaxLenError(15));
        }
        if (!PortNameCharsetRegex().IsMatch(port))
        {
            errs.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (!PortNameOneLetterRegex().IsMatch(port))
        {
            errs.Add("must contain at least one letter (a-z)");
        }
        if (port.Contains("--", StringComparison.Ordinal))
        {
            errs.Add("must not contain consecutive hyphens");
        }
        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errs.Add("must not begin or end with a hyphen");
        }
        return errs;
    }

    /// <summary>A key of a ConfigMap or Secret (also a file name when projected into a volume).</summary>
    public static IReadOnlyList<string> IsConfigMapKey(string value)
    {
        var errs = new List<string>();
        if (NameValidation.ByteLength(value) > NameValidation.DNS1123SubdomainMaxLength)
        {
            errs.Add(NameValidation.MaxLenError(NameValidation.DNS1123SubdomainMaxLength));
        }
        if (!ConfigMapKeyRegex().IsMatch(value))
        {
            errs.Add(NameValidation.RegexError(ConfigMapKeyErrMsg, ConfigMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
        }
        errs.AddRange(HasChDirPrefix(value));
        return errs;
    }

    public static IReadOnlyList<string> IsCIdentifier(string value) =>
        CIdentifierRegex().IsMatch(value) ? [] : [NameValidation.RegexError(CIdentifierErrMsg, CIdentifierFmt, "my_name", "MY_NAME", "MyName")];

    /// <summary>
    /// An environment variable name as kube accepts it since relaxed validation went GA: any printable
    /// ASCII but '='.
    /// </summary>
    public static IReadOnlyList<string> IsEnvVarName(string value)
    {
        if (value.Length == 0)
        {
            return ["environment variable name " + NameValidation.EmptyError()];
        }
        return value.Any(c => c is < ' ' or > '~' || c == '=')
            ? ["a valid environment variable name must consist only of printable ASCII characters other than '='"]
            : [];
    }

    public static IReadOnlyList<string> IsValidPercent(string value) =>
        PercentRegex().IsMatch(value) ? [] : [NameValidation.RegexError(PercentErrMsg, PercentFmt, "1%", "93%")];

    public static IReadOnlyList<string> IsHttpHeaderName(string value) =>
        HttpHeaderNameRegex().IsMatch(value) ? [] : [NameValidation.RegexError(HttpHeaderNameErrMsg, HttpHeaderNameFmt, "X-Header-Name")];

    /// <summary>An IPv4 or IPv6 address in the forms Go's parser accepts (no zone, no leading zeros in IPv4).</summary>
    public static IReadOnlyList<string> IsValidIP(string value) =>
        ParseIP(value) is null ? ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"] : [];

    /// <summary>A CIDR such as 10.0.0.0/16 or fd00::/64.</summary>
    public static IReadOnlyList<string> IsValidCIDR(string value) =>
        ParseCIDR(value) ? [] : ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"];

    /// <summary>Go's net.ParseIP: dotted-quad IPv4 without leading zeros, or IPv6 without a zone.</summary>
    public static IPAddress? ParseIP(string value)
    {
        if (value.Length == 0 || value.Contains('%', StringComparison.Ordinal) || value.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }
        if (value.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(value, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? v6 : null;
        }
        var parts = value.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit))
            {
                return null;
            }
            var n = int.Parse(part, CultureInfo.InvariantCulture);
            if (n > 255)
            {
                return null;
            }
            bytes[i] = (byte)n;
        }
        return new IPAddress(bytes);
    }

    public static bool ParseCIDR(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || ParseIP(value[..slash]) is not { } ip)
        {
            return false;
        }
        var bits = value[(slash + 1)..];
        var max = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        return bits.Length is > 0 and <= 3 && bits.All(char.IsAsciiDigit) && (bits.Length == 1 || bits[0] != '0')
            && int.Parse(bits, CultureInfo.InvariantCulture) <= max;
    }

    /// <summary>apimachinery's ValidateNonnegativeField.</summary>
    public static IEnumerable<FieldError> ValidateNonnegativeField(long value, FieldPath path)
    {
        if (value < 0)
        {
            yield return FieldError.Invalid(path, value, IsNegativeErrorMsg);
        }
    }

    private static IEnumerable<string> HasChDirPrefix(string value)
    {
        if (value == ".")
        {
            yield return "must not be '.'";
        }
        else if (value == "..")
        {
            yield return "must not be '..'";
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }
}
