using System.Text;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>
/// The <c>fieldPath</c> of an x-kubernetes-validations rule (cel.ValidFieldPath): a JSON path of field names
/// (<c>.spec.foo</c>) and quoted map keys (<c>['key']</c>) that must exist in the schema.
/// </summary>
internal static class RuleFieldPath
{
    public static bool TryParse(string jsonPath, SchemaNode schema, out FieldPath? path, out string? error)
    {
        path = null;
        error = null;
        var tokens = Tokenize(jsonPath);
        var current = schema;
        for (var i = 0; i < tokens.Count; i++)
        {
            var tok = tokens[i];
            string name;
            if (tok == "[")
            {
                if (++i >= tokens.Count)
                {
                    error = "unexpected end of JSON path";
                    return false;
                }
                tok = tokens[i];
                if (tok.Length < 2 || tok[0] != '\'' || tok[^1] != '\'')
                {
                    error = "expected single quoted string but got " + tok;
                    return false;
                }
                if (Unescape(tok[1..^1]) is not { } unescaped)
                {
                    error = "invalid string literal";
                    return false;
                }
                name = unescaped;
                if (++i >= tokens.Count)
                {
                    error = "unexpected end of JSON path";
                    return false;
                }
                if (tokens[i] != "]")
                {
                    error = "expected ] but got " + tokens[i];
                    return false;
                }
            }
            else if (tok == ".")
            {
                if (++i >= tokens.Count)
                {
                    error = "unexpected end of JSON path";
                    return false;
                }
                name = tokens[i];
            }
            else
            {
                error = "expected [ or . but got: " + tok;
                return false;
            }

            if (current.Properties is not null)
            {
                path = path is null ? FieldPath.New(name) : path.Child(name);
                if (!current.Properties.TryGetValue(name, out var next))
                {
                    error = "does not refer to a valid field";
                    return false;
                }
                current = next;
            }
            else if (current.HasAdditionalProperties)
            {
                path = path is null ? FieldPath.New(name) : path.Key(name);
                if (current.AdditionalProperties is not { } ap)
                {
                    error = "does not refer to a valid field";
                    return false;
                }
                current = ap;
            }
            else
            {
                error = "does not refer to a valid field";
                return false;
            }
        }
        return true;
    }

    // Splits on '.', '[' and ']' (each a token of its own), keeping single-quoted strings whole.
    private static List<string> Tokenize(string s)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == '\'')
            {
                var j = i + 1;
                while (j < s.Length && !(s[j] == '\'' && s[j - 1] != '\\'))
                {
                    j++;
                }
                tokens.Add(s[i..Math.Min(j + 1, s.Length)]);
                i = j + 1;
                continue;
            }
            if (s[i] is '.' or '[' or ']')
            {
                tokens.Add(s[i].ToString());
                i++;
                continue;
            }
            var start = i;
            while (i < s.Length && s[i] is not ('.' or '[' or ']'))
            {
                i++;
            }
            tokens.Add(s[start..i]);
        }
        return tokens;
    }

    private static string? Unescape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\')
            {
                sb.Append(s[i]);
                continue;
            }
            if (++i >= s.Length)
            {
                return null;
            }
            switch (s[i])
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case '\'': sb.Append('\''); break;
                case '\\': sb.Append('\\'); break;
                default: return null;
            }
        }
        return sb.ToString();
    }
}
