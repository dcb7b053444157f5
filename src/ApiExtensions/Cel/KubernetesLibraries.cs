using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ApiExtensions.Schema;
using ApiMachinery.Validation;

namespace ApiExtensions.Cel;

/// <summary>
/// The CEL libraries kube-apiserver adds to its environments (k8s.io/apiserver/pkg/cel/library and the cel-go
/// extensions it enables): cel-go's strings (v2), sets, two-variable comprehensions and lists (v3), and
/// Kubernetes' lists, regex, URLs, quantities, IP/CIDR and format libraries, plus optional values.
/// </summary>
internal static class KubernetesLibraries
{
    private static readonly CelType A = StandardLibrary.A;
    private static readonly CelType I = CelType.Int;
    private static readonly CelType D = CelType.Double;
    private static readonly CelType S = CelType.String;
    private static readonly CelType Bo = CelType.Bool;
    private static readonly CelType ListS = CelType.List(CelType.String);
    private static readonly CelType ListA = CelType.List(StandardLibrary.A);

    public static readonly CelType QuantityType = CelType.Opaque("kubernetes.Quantity");
    public static readonly CelType UrlType = CelType.Opaque("kubernetes.URL");
    public static readonly CelType IPType = CelType.Opaque("net.IP");
    public static readonly CelType CidrType = CelType.Opaque("net.CIDR");
    public static readonly CelType FormatType = CelType.Opaque("kubernetes.NamedFormat");

    public static void Register(FunctionRegistry r)
    {
        Strings(r);
        Lists(r);
        Sets(r);
        Regex(r);
        Urls(r);
        Quantities(r);
        IPs(r);
        Formats(r);
        Optionals(r);
    }

    private static long Cost(object s) => StandardLibrary.StringCost(s);

    private static ulong Est(ulong size) => StandardLibrary.EstimateTraversal(size);

    // cel-go ext.Strings (version 2)
    private static void Strings(FunctionRegistry r)
    {
        r.Member("charAt", [S, I], S, (s, i) =>
        {
            var runes = ((string)s).EnumerateRunes().ToArray();
            var idx = (long)i;
            if (idx < 0 || idx > runes.Length)
            {
                return new CelError($"index out of range: {idx}");
            }
            return idx == runes.Length ? "" : runes[idx].ToString();
        }, a => Cost(a[0]), s => Est(s[0]));
        r.Member("indexOf", [S, S], I, (s, sub) => (long)RuneIndex((string)s, ((string)s).IndexOf((string)sub, StringComparison.Ordinal)), a => Cost(a[0]), s => Est(s[0]));
        r.Member("indexOf", [S, S, I], I, (s, sub, off) =>
        {
            var str = (string)s;
            var start = Utf16Offset(str, (long)off);
            if (start < 0)
            {
                return new CelError($"index out of range: {(long)off}");
            }
            return (long)RuneIndex(str, str.IndexOf((string)sub, start, StringComparison.Ordinal));
        }, a => Cost(a[0]), s => Est(s[0]));
        r.Member("lastIndexOf", [S, S], I, (s, sub) => (long)RuneIndex((string)s, ((string)s).LastIndexOf((string)sub, StringComparison.Ordinal)), a => Cost(a[0]), s => Est(s[0]));
        r.Member("lastIndexOf", [S, S, I], I, (s, sub, off) =>
        {
            var str = (string)s;
            var end = Utf16Offset(str, (long)off);
            if (end < 0)
            {
                return new CelError($"index out of range: {(long)off}");
            }
            var searchEnd = Math.Min(str.Length - 1, end + ((string)sub).Length - 1);
            return (long)RuneIndex(str, searchEnd < 0 ? (((string)sub).Length == 0 ? 0 : -1) : str.LastIndexOf((string)sub, searchEnd, StringComparison.Ordinal));
        }, a => Cost(a[0]), s => Est(s[0]));
        r.Member("lowerAscii", [S], S, s => AsciiCase((string)s, lower: true), a => Cost(a[0]), s => Est(s[0]));
        r.Member("upperAscii", [S], S, s => AsciiCase((string)s, lower: false), a => Cost(a[0]), s => Est(s[0]));
        r.Member("replace", [S, S, S], S, (s, a, b) => ((string)s).Replace((string)a, (string)b, StringComparison.Ordinal), a => Cost(a[0]), s => Est(s[0]));
        r.Member("replace", [S, S, S, I], S, args => ReplaceN((string)args[0], (string)args[1], (string)args[2], (long)args[3]), a => Cost(a[0]), s => Est(s[0]));
        r.Member("split", [S, S], ListS, (s, sep) => Split((string)s, (string)sep, -1), a => Cost(a[0]), s => Est(s[0]));
        r.Member("split", [S, S, I], ListS, (s, sep, n) => Split((string)s, (string)sep, (long)n), a => Cost(a[0]), s => Est(s[0]));
        r.Member("substring", [S, I], S, (s, start) => Substring((string)s, (long)start, null), a => Cost(a[0]), s => Est(s[0]));
        r.Member("substring", [S, I, I], S, (s, start, end) => Substring((string)s, (long)start, (long)end), a => Cost(a[0]), s => Est(s[0]));
        r.Member("trim", [S], S, s => ((string)s).Trim(), a => Cost(a[0]), s => Est(s[0]));
        r.Member("join", [ListS], S, l => string.Join("", ListStrings((ICelList)l)), a => StandardLibrary.TraversalCost(((ICelList)a[0]).Count), s => Est(s[0]));
        r.Member("join", [ListS, S], S, (l, sep) => string.Join((string)sep, ListStrings((ICelList)l)), a => StandardLibrary.TraversalCost(((ICelList)a[0]).Count), s => Est(s[0]));
        r.Global("strings.quote", [S], S, s => Quote((string)s), a => Cost(a[0]), s => Est(s[0]));
        r.Member("reverse", [S], S, s => new string(((string)s).EnumerateRunes().Reverse().SelectMany(x => x.ToString()).ToArray()), a => Cost(a[0]), s => Est(s[0]));
        r.Member("format", [S, CelType.ListOfDyn], S, (f, args) => StringFormat.Format((string)f, (ICelList)args), a => Cost(a[0]), s => Est(s[0]));
    }

    private static int RuneIndex(string s, int utf16Index)
    {
        if (utf16Index < 0)
        {
            return -1;
        }
        var n = 0;
        for (var i = 0; i < utf16Index; i++)
        {
            if (!char.IsLowSurrogate(s[i]))
            {
                n++;
            }
        }
        return n;
    }

    private static int Utf16Offset(string s, long runeIndex)
    {
        if (runeIndex < 0)
        {
            return -1;
        }
        var runes = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (runes == runeIndex)
            {
                return i;
            }
            if (!char.IsHighSurrogate(s[i]))
            {
                runes++;
            }
        }
        return runes == runeIndex ? s.Length : -1;
    }

    private static string AsciiCase(string s, bool lower)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (lower && chars[i] is >= 'A' and <= 'Z')
            {
                chars[i] = (char)(chars[i] + 32);
            }
            else if (!lower && chars[i] is >= 'a' and <= 'z')
            {
                chars[i] = (char)(chars[i] - 32);
            }
        }
        return new string(chars);
    }

    private static object ReplaceN(string s, string old, string replacement, long n)
    {
        if (n < 0)
        {
            return s.Replace(old, replacement, StringComparison.Ordinal);
        }
        var sb = new StringBuilder();
        var pos = 0;
        for (var count = 0; count < n; count++)
        {
            var idx = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (idx < 0)
            {
                break;
            }
            sb.Append(s, pos, idx - pos).Append(replacement);
            pos = idx + old.Length;
            if (old.Length == 0)
            {
                if (pos < s.Length)
                {
                    sb.Append(s[pos]);
                }
                pos++;
            }
        }
        if (pos < s.Length)
        {
            sb.Append(s, pos, s.Length - pos);
        }
        return sb.ToString();
    }

    private static object Split(string s, string sep, long n)
    {
        if (n == 0)
        {
            return CelList.Empty;
        }
        string[] parts;
        if (sep.Length == 0)
        {
            parts = s.EnumerateRunes().Select(x => x.ToString()).ToArray();
            if (n > 0 && parts.Length > n)
            {
                parts = [.. parts.Take((int)n - 1), string.Concat(parts.Skip((int)n - 1))];
            }
        }
        else
        {
            parts = n < 0 ? s.Split(sep) : s.Split(sep, (int)Math.Min(n, int.MaxValue));
        }
        return new CelList(parts.Cast<object>().ToArray());
    }

    private static object Substring(string s, long start, long? end)
    {
        var runes = s.EnumerateRunes().ToArray();
        var e = end ?? runes.Length;
        if (start < 0 || start > runes.Length)
        {
            return new CelError($"index out of range: {start}");
        }
        if (e < 0 || e > runes.Length)
        {
            return new CelError($"index out of range: {e}");
        }
        if (start > e)
        {
            return new CelError($"invalid substring range. start: {start}, end: {e}");
        }
        return string.Concat(runes.Skip((int)start).Take((int)(e - start)).Select(x => x.ToString()));
    }

    private static IEnumerable<string> ListStrings(ICelList l)
    {
        for (var i = 0; i < l.Count; i++)
        {
            yield return (string)l.Get(i);
        }
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '\a' => "\\a",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\v' => "\\v",
                '\\' => "\\\\",
                '"' => "\\\"",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    // Kubernetes' lists library (isSorted, sum, min, max, indexOf, lastIndexOf) and cel-go ext.Lists (v3).
    private static void Lists(FunctionRegistry r)
    {
        Func<object[], long> listCost = a => StandardLibrary.TraversalCost(((ICelList)a[0]).Count);
        Func<ulong[], ulong> listEst = s => Est(s[0]);
        foreach (var t in new[] { CelType.Int, CelType.Uint, CelType.Double, CelType.String, CelType.Bytes, CelType.Bool, CelType.Duration, CelType.Timestamp })
        {
            var lt = CelType.List(t);
            r.Member("isSorted", [lt], Bo, l => IsSorted((ICelList)l), listCost, listEst);
            r.Member("min", [lt], t, l => MinMax((ICelList)l, max: false), listCost, listEst);
            r.Member("max", [lt], t, l => MinMax((ICelList)l, max: true), listCost, listEst);
        }
        r.Member("sum", [CelType.List(I)], I, l => Sum((ICelList)l, 0L), listCost, listEst);
        r.Member("sum", [CelType.List(CelType.Uint)], CelType.Uint, l => Sum((ICelList)l, 0UL), listCost, listEst);
        r.Member("sum", [CelType.List(D)], D, l => Sum((ICelList)l, 0.0), listCost, listEst);
        r.Member("sum", [CelType.List(CelType.Duration)], CelType.Duration, l => Sum((ICelList)l, new CelDuration(0)), listCost, listEst);
        r.Member("indexOf", [ListA, A], I, (l, x) => IndexOf((ICelList)l, x, last: false), listCost, listEst);
        r.Member("lastIndexOf", [ListA, A], I, (l, x) => IndexOf((ICelList)l, x, last: true), listCost, listEst);

        r.Global("lists.range", [I], CelType.List(I), n => new CelList(Enumerable.Range(0, (int)Math.Clamp((long)n, 0, 1_000_000)).Select(i => (object)(long)i).ToArray()), a => (long)a[0] / 10);
        r.Member("slice", [ListA, I, I], ListA, (l, s, e) => Slice((ICelList)l, (long)s, (long)e), listCost, listEst);
        r.Member("flatten", [CelType.List(ListA)], ListA, l => Flatten((ICelList)l, 1), listCost, listEst);
        r.Member("flatten", [ListA, I], CelType.ListOfDyn, (l, d) => Flatten((ICelList)l, (long)d), listCost, listEst);
        r.Member("distinct", [ListA], ListA, l => Distinct((ICelList)l), a => StandardLibrary.TraversalCost((long)Math.Pow(((ICelList)a[0]).Count, 2)), s => Est(s[0] * s[0]));
        r.Member("reverse", [ListA], ListA, l => new CelList(Items((ICelList)l).Reverse().ToArray()), listCost, listEst);
        r.Member("sort", [ListA], ListA, l => Sort((ICelList)l), listCost, listEst);
        r.Member("first", [ListA], CelType.Optional(A), l => ((ICelList)l).Count > 0 ? CelOptional.Of(((ICelList)l).Get(0)) : CelOptional.None);
        r.Member("last", [ListA], CelType.Optional(A), l => ((ICelList)l).Count > 0 ? CelOptional.Of(((ICelList)l).Get(((ICelList)l).Count - 1)) : CelOptional.None);
    }

    internal static IEnumerable<object> Items(ICelList l)
    {
        for (var i = 0; i < l.Count; i++)
        {
            yield return l.Get(i);
        }
    }

    private static object IsSorted(ICelList l)
    {
        for (var i = 1; i < l.Count; i++)
        {
            if (CelEquality.Compare(l.Get(i - 1), l.Get(i)) is > 0)
            {
                return false;
            }
        }
        return true;
    }

    private static object MinMax(ICelList l, bool max)
    {
        if (l.Count == 0)
        {
            return new CelError($"{(max ? "max" : "min")}(list) called on empty list");
        }
        var best = l.Get(0);
        for (var i = 1; i < l.Count; i++)
        {
            var v = l.Get(i);
            if (CelEquality.Compare(v, best) is { } c && (max ? c > 0 : c < 0))
            {
                best = v;
            }
        }
        return best;
    }

    private static object Sum(ICelList l, object zero)
    {
        object acc = zero;
        for (var i = 0; i < l.Count; i++)
        {
            var v = l.Get(i);
            acc = (acc, v) switch
            {
                (long a, long b) => (((a + b) ^ a) & ((a + b) ^ b)) < 0 ? new CelError("integer overflow") : a + b,
                (ulong a, ulong b) => a > ulong.MaxValue - b ? new CelError("unsigned integer overflow") : a + b,
                (double a, double b) => a + b,
                (CelDuration a, CelDuration b) => new CelDuration(a.Nanos + b.Nanos),
                _ => CelError.NoSuchOverload("sum"),
            };
            if (acc is CelError)
            {
                return acc;
            }
        }
        return acc;
    }

    private static object IndexOf(ICelList l, object x, bool last)
    {
        if (last)
        {
            for (var i = l.Count - 1; i >= 0; i--)
            {
                if (CelEquality.ValueEquals(l.Get(i), x))
                {
                    return (long)i;
                }
            }
            return -1L;
        }
        for (var i = 0; i < l.Count; i++)
        {
            if (CelEquality.ValueEquals(l.Get(i), x))
            {
                return (long)i;
            }
        }
        return -1L;
    }

    private static object Slice(ICelList l, long start, long end)
    {
        if (start < 0 || end < 0)
        {
            return new CelError($"cannot slice(${start}, ${end}), negative indexes not supported");
        }
        if (start > end)
        {
            return new CelError($"cannot slice({start}, {end}), start index must be less than or equal to end index");
        }
        if (end > l.Count)
        {
            return new CelError($"cannot slice({start}, {end}), list is length {l.Count}");
        }
        return new CelList(Items(l).Skip((int)start).Take((int)(end - start)).ToArray());
    }

    private static object Flatten(ICelList l, long depth)
    {
        if (depth < 0)
        {
            return new CelError("level must be non-negative");
        }
        var result = new List<object>();
        void Walk(ICelList list, long d)
        {
            foreach (var item in Items(list))
            {
                if (item is ICelList inner && d > 0)
                {
                    Walk(inner, d - 1);
                }
                else
                {
                    result.Add(item);
                }
            }
        }
        Walk(l, depth);
        return new CelList(result.ToArray());
    }

    private static object Distinct(ICelList l)
    {
        var result = new List<object>();
        foreach (var item in Items(l))
        {
            if (!result.Any(x => CelEquality.ValueEquals(x, item)))
            {
                result.Add(item);
            }
        }
        return new CelList(result.ToArray());
    }

    private static object Sort(ICelList l)
    {
        var items = Items(l).ToArray();
        try
        {
            Array.Sort(items, (a, b) => CelEquality.Compare(a, b) ?? throw new InvalidOperationException());
        }
        catch (InvalidOperationException)
        {
            return new CelError("list elements must have the same type");
        }
        return new CelList(items);
    }

    // cel-go ext.Sets
    private static void Sets(FunctionRegistry r)
    {
        Func<object[], long> cost = a => StandardLibrary.TraversalCost((long)((ICelList)a[0]).Count * ((ICelList)a[1]).Count);
        Func<ulong[], ulong> est = s => Est(s[0] * s[1]);
        r.Global("sets.contains", [ListA, ListA], Bo, (a, b) => Items((ICelList)b).All(x => StandardLibrary.ListContains((ICelList)a, x) is true), cost, est);
        r.Global("sets.equivalent", [ListA, ListA], Bo, (a, b) =>
            Items((ICelList)b).All(x => StandardLibrary.ListContains((ICelList)a, x) is true) && Items((ICelList)a).All(x => StandardLibrary.ListContains((ICelList)b, x) is true), cost, est);
        r.Global("sets.intersects", [ListA, ListA], Bo, (a, b) => Items((ICelList)b).Any(x => StandardLibrary.ListContains((ICelList)a, x) is true), cost, est);
    }

    // Kubernetes' regex library
    private static void Regex(FunctionRegistry r)
    {
        r.Member("find", [S, S], S, (s, p) =>
        {
            var (regex, error) = GoRegex.TryCompile((string)p);
            if (regex is null)
            {
                return new CelError("invalid regular expression: " + error);
            }
            var m = regex.Match((string)s);
            return m.Success ? m.Value : "";
        }, a => StandardLibrary.RegexCost(a[0], a[1]), s => Est(s[0]) * Math.Max(1, Est(s[1])));
        r.Member("findAll", [S, S], ListS, (s, p) => FindAll((string)s, (string)p, -1), a => StandardLibrary.RegexCost(a[0], a[1]), s => Est(s[0]) * Math.Max(1, Est(s[1])));
        r.Member("findAll", [S, S, I], ListS, (s, p, n) => FindAll((string)s, (string)p, (long)n), a => StandardLibrary.RegexCost(a[0], a[1]), s => Est(s[0]) * Math.Max(1, Est(s[1])));
    }

    private static object FindAll(string s, string pattern, long limit)
    {
        var (regex, error) = GoRegex.TryCompile(pattern);
        if (regex is null)
        {
            return new CelError("invalid regular expression: " + error);
        }
        var result = new List<object>();
        foreach (System.Text.RegularExpressions.Match m in regex.Matches(s))
        {
            if (limit >= 0 && result.Count >= limit)
            {
                break;
            }
            result.Add(m.Value);
        }
        return new CelList(result.ToArray());
    }

    // Kubernetes' URLs library
    private static void Urls(FunctionRegistry r)
    {
        r.Global("url", [S], UrlType, s => KubeUrl.Parse((string)s) is { } u ? u : new CelError($"URL parse error during conversion from string: parse {GoQuote((string)s)}: invalid URI for request"), a => Cost(a[0]), s => Est(s[0]));
        r.Global("isURL", [S], Bo, s => KubeUrl.Parse((string)s) is not null, a => Cost(a[0]), s => Est(s[0]));
        r.Member("getScheme", [UrlType], S, u => ((KubeUrl)u).Scheme);
        r.Member("getHost", [UrlType], S, u => ((KubeUrl)u).Host);
        r.Member("getHostname", [UrlType], S, u => ((KubeUrl)u).Hostname);
        r.Member("getPort", [UrlType], S, u => ((KubeUrl)u).Port);
        r.Member("getEscapedPath", [UrlType], S, u => ((KubeUrl)u).EscapedPath);
        r.Member("getQuery", [UrlType], CelType.Map(S, ListS), u => ((KubeUrl)u).Query());
        r.Global("string", [UrlType], S, u => ((KubeUrl)u).Text);
    }

    private static string GoQuote(string s) => ApiMachinery.Text.GoText.Quote(s);

    // Kubernetes' quantity library
    private static void Quantities(FunctionRegistry r)
    {
        r.Global("quantity", [S], QuantityType, s => KubeQuantity.TryParse((string)s, out var q) ? q : new CelError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
        r.Global("isQuantity", [S], Bo, s => KubeQuantity.TryParse((string)s, out _));
        r.Member("sign", [QuantityType], I, q => (long)Math.Sign(((KubeQuantity)q).Value));
        r.Member("isGreaterThan", [QuantityType, QuantityType], Bo, (a, b) => ((KubeQuantity)a).Value > ((KubeQuantity)b).Value);
        r.Member("isLessThan", [QuantityType, QuantityType], Bo, (a, b) => ((KubeQuantity)a).Value < ((KubeQuantity)b).Value);
        r.Member("compareTo", [QuantityType, QuantityType], I, (a, b) => (long)((KubeQuantity)a).Value.CompareTo(((KubeQuantity)b).Value));
        r.Member("add", [QuantityType, QuantityType], QuantityType, (a, b) => new KubeQuantity(((KubeQuantity)a).Value + ((KubeQuantity)b).Value, ((KubeQuantity)a).Format));
        r.Member("add", [QuantityType, I], QuantityType, (a, b) => new KubeQuantity(((KubeQuantity)a).Value + (long)b, ((KubeQuantity)a).Format));
        r.Member("sub", [QuantityType, QuantityType], QuantityType, (a, b) => new KubeQuantity(((KubeQuantity)a).Value - ((KubeQuantity)b).Value, ((KubeQuantity)a).Format));
        r.Member("sub", [QuantityType, I], QuantityType, (a, b) => new KubeQuantity(((KubeQuantity)a).Value - (long)b, ((KubeQuantity)a).Format));
        r.Member("isInteger", [QuantityType], Bo, q => ((KubeQuantity)q).Value == decimal.Truncate(((KubeQuantity)q).Value) && Math.Abs(((KubeQuantity)q).Value) <= long.MaxValue);
        r.Member("asInteger", [QuantityType], I, q =>
        {
            var v = ((KubeQuantity)q).Value;
            return v == decimal.Truncate(v) && v >= long.MinValue && v <= long.MaxValue ? (long)v : new CelError("cannot convert value to integer");
        });
        r.Member("asApproximateFloat", [QuantityType], D, q => (double)((KubeQuantity)q).Value);
    }

    // Kubernetes' IP and CIDR libraries
    private static void IPs(FunctionRegistry r)
    {
        r.Global("ip", [S], IPType, s => KubeIP.Parse((string)s) is { } ip ? ip : new CelError($"IP Address {GoQuote((string)s)} parse error during conversion from string: ParseAddr({GoQuote((string)s)}): unable to parse IP"));
        r.Global("isIP", [S], Bo, s => KubeIP.Parse((string)s) is not null);
        r.Global("ip.isCanonical", [S], Bo, s => KubeIP.Parse((string)s) is { } ip ? ip.ToString() == (string)s : new CelError($"IP Address {GoQuote((string)s)} parse error during conversion from string"));
        r.Member("family", [IPType], I, ip => ((KubeIP)ip).Address.AddressFamily == AddressFamily.InterNetwork ? 4L : 6L);
        r.Member("isUnspecified", [IPType], Bo, ip => ((KubeIP)ip).Address.Equals(IPAddress.Any) || ((KubeIP)ip).Address.Equals(IPAddress.IPv6Any));
        r.Member("isLoopback", [IPType], Bo, ip => IPAddress.IsLoopback(((KubeIP)ip).Address));
        r.Member("isLinkLocalMulticast", [IPType], Bo, ip => ((KubeIP)ip).IsLinkLocalMulticast);
        r.Member("isLinkLocalUnicast", [IPType], Bo, ip => ((KubeIP)ip).IsLinkLocalUnicast);
        r.Member("isGlobalUnicast", [IPType], Bo, ip => ((KubeIP)ip).IsGlobalUnicast);
        r.Global("string", [IPType], S, ip => ((KubeIP)ip).ToString());

        r.Global("cidr", [S], CidrType, s => KubeCidr.Parse((string)s) is { } c ? c : new CelError($"network address {GoQuote((string)s)} parse error during conversion from string: ParsePrefix({GoQuote((string)s)}): unable to parse"));
        r.Global("isCIDR", [S], Bo, s => KubeCidr.Parse((string)s) is not null);
        r.Member("containsIP", [CidrType, IPType], Bo, (c, ip) => ((KubeCidr)c).Contains(((KubeIP)ip).Address));
        r.Member("containsIP", [CidrType, S], Bo, (c, s) => KubeIP.Parse((string)s) is { } ip ? ((KubeCidr)c).Contains(ip.Address) : new CelError("IP Address parse error"));
        r.Member("containsCIDR", [CidrType, CidrType], Bo, (c, o) => ((KubeCidr)c).Contains((KubeCidr)o));
        r.Member("containsCIDR", [CidrType, S], Bo, (c, s) => KubeCidr.Parse((string)s) is { } o ? ((KubeCidr)c).Contains(o) : new CelError("network address parse error"));
        r.Member("ip", [CidrType], IPType, c => new KubeIP(((KubeCidr)c).Address));
        r.Member("masked", [CidrType], CidrType, c => ((KubeCidr)c).Masked());
        r.Member("prefixLength", [CidrType], I, c => (long)((KubeCidr)c).PrefixLength);
        r.Global("string", [CidrType], S, c => ((KubeCidr)c).ToString());
    }

    // Kubernetes' format library: named formats whose validate() returns the errors, if any.
    private static void Formats(FunctionRegistry r)
    {
        var formats = new Dictionary<string, Func<string, IReadOnlyList<string>>>(StringComparer.Ordinal)
        {
            ["dns1123Label"] = NameValidation.IsDNS1123Label,
            ["dns1123Subdomain"] = NameValidation.IsDNS1123Subdomain,
            ["dns1035Label"] = NameValidation.IsDNS1035Label,
            ["qualifiedName"] = NameValidation.IsQualifiedName,
            ["dns1123LabelPrefix"] = s => NameValidation.IsDNS1123Label(NameValidation.MaskTrailingDash(s)),
            ["dns1123SubdomainPrefix"] = s => NameValidation.IsDNS1123Subdomain(NameValidation.MaskTrailingDash(s)),
            ["dns1035LabelPrefix"] = s => NameValidation.IsDNS1035Label(NameValidation.MaskTrailingDash(s)),
            ["labelValue"] = NameValidation.IsValidLabelValue,
            ["uri"] = s => Uri.TryCreate(s, UriKind.Absolute, out _) ? [] : ["invalid URI"],
            ["uuid"] = s => Guid.TryParseExact(s, "D", out _) ? [] : ["does not match the UUID format"],
            ["byte"] = s => Schema.Formats.IsValid("byte", s) ? [] : ["invalid base64"],
            ["date"] = s => Schema.Formats.IsValid("date", s) ? [] : ["invalid date"],
            ["datetime"] = s => Schema.Formats.IsValid("datetime", s) ? [] : ["invalid datetime"],
        };
        foreach (var (name, validate) in formats)
        {
            var format = new KubeFormat(name, validate);
            r.Global("format." + name, [], FormatType, (object[] _) => format);
        }
        r.Global("format.named", [S], CelType.Optional(FormatType), n => formats.TryGetValue((string)n, out var v) ? CelOptional.Of(new KubeFormat((string)n, v)) : CelOptional.None);
        r.Member("validate", [FormatType, S], CelType.Optional(ListS), (f, s) =>
        {
            var errors = ((KubeFormat)f).Validate((string)s);
            return errors.Count == 0 ? CelOptional.None : CelOptional.Of(new CelList(errors.Cast<object>().ToArray()));
        }, a => Cost(a[1]), s => Est(s[1]));
    }

    // Optional values (cel-go's optional library)
    private static void Optionals(FunctionRegistry r)
    {
        r.Global("optional.of", [A], CelType.Optional(A), v => CelOptional.Of(v));
        r.Global("optional.ofNonZeroValue", [A], CelType.Optional(A), v => IsZero(v) ? CelOptional.None : CelOptional.Of(v));
        r.Global("optional.none", [], CelType.Optional(A), (object[] _) => CelOptional.None);
        r.Member("hasValue", [CelType.Optional(A)], Bo, o => ((CelOptional)o).HasValue);
        r.Member("value", [CelType.Optional(A)], A, o => ((CelOptional)o).HasValue ? ((CelOptional)o).Value! : new CelError("optional.none() dereference"));
        r.Member("orValue", [CelType.Optional(A), A], A, (o, d) => ((CelOptional)o).HasValue ? ((CelOptional)o).Value! : d);
        r.Member("or", [CelType.Optional(A), CelType.Optional(A)], CelType.Optional(A), (o, p) => ((CelOptional)o).HasValue ? o : p);
        r.Global("_[?_]", [ListA, I], CelType.Optional(A), (l, i) => StandardLibrary.ListIndex((ICelList)l, i) is var v && v is CelError ? CelOptional.None : CelOptional.Of(v));
        r.Global("_[?_]", [CelType.Map(StandardLibrary.K, StandardLibrary.V), StandardLibrary.K], CelType.Optional(StandardLibrary.V), (m, k) => ((ICelMap)m).TryGet(k, out var v) ? CelOptional.Of(v) : CelOptional.None);
        r.Global("_[_]", [CelType.Optional(ListA), I], CelType.Optional(A), (o, i) => ((CelOptional)o).HasValue && StandardLibrary.ListIndex((ICelList)((CelOptional)o).Value!, i) is var v && v is not CelError ? CelOptional.Of(v) : CelOptional.None);
        r.Global("_[_]", [CelType.Optional(CelType.Map(StandardLibrary.K, StandardLibrary.V)), StandardLibrary.K], CelType.Optional(StandardLibrary.V), (o, k) => ((CelOptional)o).HasValue && ((ICelMap)((CelOptional)o).Value!).TryGet(k, out var v) ? CelOptional.Of(v) : CelOptional.None);
    }

    private static bool IsZero(object v) => v switch
    {
        long l => l == 0,
        ulong u => u == 0,
        double d => d == 0,
        bool b => !b,
        string s => s.Length == 0,
        CelBytes b => b.Value.Length == 0,
        ICelList l => l.Count == 0,
        ICelMap m => m.Count == 0,
        CelNull => true,
        CelDuration d => d.Nanos == 0,
        CelTimestamp t => t.Seconds == 0 && t.Nanos == 0,
        _ => false,
    };
}

/// <summary>A Kubernetes resource quantity (resource.Quantity) as a CEL value.</summary>
internal sealed class KubeQuantity(decimal value, string format) : ICelOpaque
{
    public decimal Value { get; } = value;

    public string Format { get; } = format;

    public string TypeName => "kubernetes.Quantity";

    public bool CelEquals(object other) => other is KubeQuantity q && q.Value == Value;

    private static readonly (string Suffix, int Power)[] Binary = [("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)];
    private static readonly (string Suffix, int Exponent)[] Decimal = [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];

    public static bool TryParse(string text, out KubeQuantity quantity)
    {
        quantity = null!;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var end = text[0] is '+' or '-' ? 1 : 0;
        var digitsStart = end;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }
        if (end == digitsStart || !decimal.TryParse(text.AsSpan(0, end), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var suffix = text[end..];
        try
        {
            foreach (var (s, power) in Binary)
            {
                if (suffix == s)
                {
                    var m = 1m;
                    for (var i = 0; i < power; i++)
                    {
                        m *= 1024;
                    }
                    quantity = new KubeQuantity(number * m, "BinarySI");
                    return true;
                }
            }
            foreach (var (s, exponent) in Decimal)
            {
                if (suffix == s)
                {
                    quantity = new KubeQuantity(number * Pow10(exponent), "DecimalSI");
                    return true;
                }
            }
            if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e) && e is >= -18 and <= 18)
            {
                quantity = new KubeQuantity(number * Pow10(e), "DecimalExponent");
                return true;
            }
        }
        catch (OverflowException)
        {
        }
        return false;
    }

    private static decimal Pow10(int e)
    {
        var r = 1m;
        for (var i = 0; i < Math.Abs(e); i++)
        {
            r *= 10;
        }
        return e < 0 ? 1 / r : r;
    }

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A URL as Kubernetes' URL library parses it (Go's url.ParseRequestURI: absolute URL or absolute path).</summary>
internal sealed class KubeUrl : ICelOpaque
{
    private KubeUrl(string text, string scheme, string host, string hostname, string port, string escapedPath, string rawQuery)
    {
        Text = text;
        Scheme = scheme;
        Host = host;
        Hostname = hostname;
        Port = port;
        EscapedPath = escapedPath;
        RawQuery = rawQuery;
    }

    public string Text { get; }
    public string Scheme { get; }
    public string Host { get; }
    public string Hostname { get; }
    public string Port { get; }
    public string EscapedPath { get; }
    public string RawQuery { get; }

    public string TypeName => "kubernetes.URL";

    public bool CelEquals(object other) => other is KubeUrl u && u.Text == Text;

    public static KubeUrl? Parse(string s)
    {
        if (s.Length == 0 || s.Any(c => char.IsControl(c) || c == ' '))
        {
            return null;
        }
        var rest = s;
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            return null; // ParseRequestURI refuses fragments
        }
        string scheme = "";
        if (rest[0] != '/')
        {
            var colon = rest.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !char.IsAsciiLetter(rest[0]) || !rest[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return null;
            }
            scheme = rest[..colon].ToLowerInvariant();
            rest = rest[(colon + 1)..];
        }
        var query = "";
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        string host = "";
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = rest.IndexOf('/', 2);
            host = slash < 0 ? rest[2..] : rest[2..slash];
            rest = slash < 0 ? "" : rest[slash..];
            var at = host.LastIndexOf('@');
            if (at >= 0)
            {
                host = host[(at + 1)..];
            }
        }
        else if (scheme.Length > 0 && !rest.StartsWith('/'))
        {
            // An opaque URL (mailto:x): no host, no path.
            return new KubeUrl(s, scheme, "", "", "", "", query);
        }
        string hostname = host;
        string port = "";
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return null;
            }
            hostname = host[1..close];
            if (close + 1 < host.Length && host[close + 1] == ':')
            {
                port = host[(close + 2)..];
            }
        }
        else
        {
            var colon = host.LastIndexOf(':');
            if (colon >= 0)
            {
                hostname = host[..colon];
                port = host[(colon + 1)..];
            }
        }
        if (port.Length > 0 && !port.All(char.IsAsciiDigit))
        {
            return null;
        }
        return new KubeUrl(s, scheme, host, hostname, port, rest, query);
    }

    public ICelMap Query()
    {
        var dict = new Dictionary<object, object>(CelKeyComparer.Instance);
        var grouped = new Dictionary<string, List<object>>(StringComparer.Ordinal);
        foreach (var part in RawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? part : part[..eq]).Replace('+', ' '));
            var value = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
            if (!grouped.TryGetValue(key, out var list))
            {
                grouped[key] = list = [];
            }
            list.Add(value);
        }
        foreach (var (k, v) in grouped)
        {
            dict[k] = new CelList(v.ToArray());
        }
        return new CelMap(dict);
    }
}

/// <summary>An IP address (Kubernetes' IP library: no zones, no IPv4-mapped IPv6, no leading zeros).</summary>
internal sealed class KubeIP(IPAddress address) : ICelOpaque
{
    public IPAddress Address { get; } = address;

    public string TypeName => "net.IP";

    public bool CelEquals(object other) => other is KubeIP ip && ip.Address.Equals(Address);

    public static KubeIP? Parse(string s)
    {
        if (s.Contains('%', StringComparison.Ordinal) || s.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }
        if (!s.Contains(':', StringComparison.Ordinal))
        {
            var parts = s.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length == 0 || p.Length > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0') || int.Parse(p, CultureInfo.InvariantCulture) > 255))
            {
                return null;
            }
        }
        if (!IPAddress.TryParse(s, out var ip) || ip.IsIPv4MappedToIPv6)
        {
            return null;
        }
        return new KubeIP(ip);
    }

    public bool IsLinkLocalMulticast => Address.AddressFamily == AddressFamily.InterNetwork
        ? Address.GetAddressBytes() is [224, 0, 0, _]
        : Address.GetAddressBytes() is [0xff, var b, ..] && (b & 0x0f) == 0x02;

    public bool IsLinkLocalUnicast => Address.AddressFamily == AddressFamily.InterNetwork
        ? Address.GetAddressBytes() is [169, 254, _, _]
        : Address.IsIPv6LinkLocal;

    public bool IsGlobalUnicast
    {
        get
        {
            var b = Address.GetAddressBytes();
            if (Address.AddressFamily == AddressFamily.InterNetwork)
            {
                return !(b[0] == 0 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254) || b.All(x => x == 255));
            }
            return !(Address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(Address) || b[0] == 0xff || Address.IsIPv6LinkLocal);
        }
    }

    public override string ToString() => Address.ToString();
}

/// <summary>A CIDR prefix (Kubernetes' CIDR library).</summary>
internal sealed class KubeCidr(IPAddress address, int prefixLength) : ICelOpaque
{
    public IPAddress Address { get; } = address;

    public int PrefixLength { get; } = prefixLength;

    public string TypeName => "net.CIDR";

    public bool CelEquals(object other) => other is KubeCidr c && c.Address.Equals(Address) && c.PrefixLength == PrefixLength;

    public static KubeCidr? Parse(string s)
    {
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || KubeIP.Parse(s[..slash]) is not { } ip)
        {
            return null;
        }
        var bits = s[(slash + 1)..];
        if (bits.Length == 0 || !bits.All(char.IsAsciiDigit) || (bits.Length > 1 && bits[0] == '0') || !int.TryParse(bits, out var n))
        {
            return null;
        }
        var max = ip.Address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        return n > max ? null : new KubeCidr(ip.Address, n);
    }

    public bool Contains(IPAddress ip)
    {
        if (ip.AddressFamily != Address.AddressFamily)
        {
            return false;
        }
        var a = Address.GetAddressBytes();
        var b = ip.GetAddressBytes();
        for (var bit = 0; bit < PrefixLength; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }
        return true;
    }

    public bool Contains(KubeCidr other) => other.PrefixLength >= PrefixLength && Contains(other.Address);

    public KubeCidr Masked()
    {
        var bytes = Address.GetAddressBytes();
        for (var bit = PrefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        return new KubeCidr(new IPAddress(bytes), PrefixLength);
    }

    public override string ToString() => Address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A named format of Kubernetes' format library.</summary>
internal sealed class KubeFormat(string name, Func<string, IReadOnlyList<string>> validate) : ICelOpaque
{
    public string Name { get; } = name;

    public string TypeName => "kubernetes.NamedFormat";

    public bool CelEquals(object other) => other is KubeFormat f && f.Name == Name;

    public IReadOnlyList<string> Validate(string s) => validate(s);
}
