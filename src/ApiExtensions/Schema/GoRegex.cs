using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace ApiExtensions.Schema;

/// <summary>
/// Regular expressions written for Go's regexp (RE2 syntax), as CRD <c>pattern</c>s and CEL's <c>matches</c> use
/// them, run on .NET's engine. RE2 has no backreferences or lookaround: those are refused, as Go refuses them,
/// and patterns run with <see cref="RegexOptions.NonBacktracking"/> so a hostile pattern cannot take exponential
/// time (RE2's own guarantee). Go's <c>(?P&lt;name&gt;</c> is rewritten to .NET's <c>(?&lt;name&gt;</c>, and
/// <c>$</c> (end of text only in Go) to <c>\z</c> outside multi-line mode.
/// </summary>
internal static class GoRegex
{
    private static readonly ConcurrentDictionary<string, (Regex? Regex, string? Error)> Cache = new(StringComparer.Ordinal);

    /// <summary>The compiled pattern, or Go's "error parsing regexp: ..." text.</summary>
    public static (Regex? Regex, string? Error) TryCompile(string pattern)
    {
        if (Cache.TryGetValue(pattern, out var cached))
        {
            return cached;
        }
        var result = Compile(pattern);
        if (Cache.Count < 4096)
        {
            Cache[pattern] = result;
        }
        return result;
    }

    private static (Regex? Regex, string? Error) Compile(string pattern)
    {
        if (Unsupported(pattern) is { } bad)
        {
            return (null, $"error parsing regexp: invalid or unsupported Perl syntax: `{bad}`");
        }
        var translated = Translate(pattern);
        try
        {
            return (new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking), null);
        }
        catch (NotSupportedException)
        {
            try
            {
                return (new Regex(translated, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), null);
            }
            catch (ArgumentException e)
            {
                return (null, "error parsing regexp: " + Describe(e) + ": `" + pattern + "`");
            }
        }
        catch (ArgumentException e)
        {
            return (null, "error parsing regexp: " + Describe(e) + ": `" + pattern + "`");
        }
    }

    private static string Describe(ArgumentException e)
    {
        var message = e is RegexParseException rpe ? rpe.Error switch
        {
            RegexParseError.InsufficientClosingParentheses => "missing closing )",
            RegexParseError.InsufficientOpeningParentheses => "unexpected )",
            RegexParseError.UnterminatedBracket => "missing closing ]",
            RegexParseError.QuantifierAfterNothing => "missing argument to repetition operator",
            RegexParseError.NestedQuantifiersNotParenthesized => "invalid nested repetition operator",
            RegexParseError.ReversedCharacterRange => "invalid character class range",
            RegexParseError.UnescapedEndingBackslash => "trailing backslash at end of expression",
            _ => e.Message,
        } : e.Message;
        return message;
    }

    // Go's regexp/syntax refuses these Perl constructs.
    private static string? Unsupported(string pattern)
    {
        for (var i = 0; i < pattern.Length - 1; i++)
        {
            if (pattern[i] == '\\')
            {
                var next = pattern[i + 1];
                if (next is >= '1' and <= '9')
                {
                    return "\\" + next;
                }
                i++;
                continue;
            }
            if (pattern[i] == '(' && pattern[i + 1] == '?' && i + 2 < pattern.Length)
            {
                var c = pattern[i + 2];
                if (c is '=' or '!')
                {
                    return "(?" + c;
                }
                if (c == '<' && i + 3 < pattern.Length && pattern[i + 3] is '=' or '!')
                {
                    return "(?<" + pattern[i + 3];
                }
            }
        }
        return null;
    }

    private static string Translate(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        var multiLine = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[i + 1];
                // RE2's \z is .NET's \z; RE2 has no \Z.
                sb.Append(c).Append(next);
                i++;
                continue;
            }
            if (inClass)
            {
                if (c == ']')
                {
                    inClass = false;
                }
                sb.Append(c);
                continue;
            }
            switch (c)
            {
                case '[':
                    inClass = true;
                    sb.Append(c);
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                    {
                        sb.Append('^');
                        i++;
                    }
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        sb.Append("\\]");
                        i++;
                    }
                    break;
                case '(' when i + 2 < pattern.Length && pattern[i + 1] == '?' && pattern[i + 2] == 'P' && i + 3 < pattern.Length && pattern[i + 3] == '<':
                    sb.Append("(?<");
                    i += 3;
                    break;
                case '(' when i + 2 < pattern.Length && pattern[i + 1] == '?':
                    // Flag groups like (?i) or (?m:...): note multi-line mode for '$'.
                    var end = i + 2;
                    while (end < pattern.Length && char.IsLetter(pattern[end]))
                    {
                        if (pattern[end] == 'm')
                        {
                            multiLine = true;
                        }
                        end++;
                    }
                    sb.Append(c);
                    break;
                case '$' when !multiLine:
                    sb.Append("\\z");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
