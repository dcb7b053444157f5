using System.Globalization;
using System.Text.Json.Nodes;

namespace ApiServer.Printing;

/// <summary>
/// The part of client-go's JSONPath (k8s.io/client-go/util/jsonpath) that printer columns use:
/// fields (<c>.spec.replicas</c>, <c>['app.kubernetes.io/name']</c>), indexes and slices
/// (<c>[0]</c>, <c>[-1]</c>, <c>[1:3]</c>), wildcards (<c>[*]</c>, <c>.*</c>), recursive descent
/// (<c>..name</c>) and filters (<c>[?(@.type=="Ready")]</c>, with == != &lt; &gt; &lt;= &gt;= or a bare
/// existence test). Missing keys give no result, as the table convertor's AllowMissingKeys does.
/// </summary>
internal sealed class JsonPathExpression
{
    private readonly IReadOnlyList<Step> _steps;

    private JsonPathExpression(IReadOnlyList<Step> steps) => _steps = steps;

    private abstract record Step;

    private sealed record FieldStep(string Name) : Step;

    private sealed record WildcardStep : Step;

    private sealed record RecursiveStep(string? Name) : Step;

    private sealed record IndexStep(int? Start, int? End, int Step, bool Single) : Step;

    private sealed record FilterStep(JsonPathExpression Left, string? Operator, JsonNode? Right, JsonPathExpression? RightPath) : Step;

    /// <summary>Parses a path with or without its braces ("{.spec.replicas}" or ".spec.replicas").</summary>
    public static JsonPathExpression Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith('{') && text.EndsWith('}'))
        {
            text = text[1..^1].Trim();
        }

        var position = 0;
        var steps = ParseSteps(text, ref position, stopAt: null);
        if (position != text.Length)
        {
            throw new FormatException($"unrecognized character in JSONPath at {position}: {text}");
        }

        return new JsonPathExpression(steps);
    }

    /// <summary>Every value the path selects, in document order.</summary>
    public IReadOnlyList<JsonNode?> Evaluate(JsonNode? root)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(node => Apply(step, node)).ToList();
        }

        return current.ToList();
    }

    private static IEnumerable<JsonNode?> Apply(Step step, JsonNode? node)
    {
        switch (step)
        {
            case FieldStep field:
                if (node is JsonObject o && o.TryGetPropertyValue(field.Name, out var value))
                {
                    yield return value;
                }

                break;
            case WildcardStep:
                foreach (var child in Children(node))
                {
                    yield return child;
                }

                break;
            case RecursiveStep recursive:
                foreach (var descendant in SelfAndDescendants(node))
                {
                    if (recursive.Name is null)
                    {
                        yield return descendant;
                    }
                    else if (descendant is JsonObject d && d.TryGetPropertyValue(recursive.Name, out var found))
                    {
                        yield return found;
                    }
                }

                break;
            case IndexStep index when node is JsonArray array:
                foreach (var item in Slice(array, index))
                {
                    yield return item;
                }

                break;
            case FilterStep filter:
                foreach (var item in node is JsonArray items ? items.ToArray() : [node])
                {
                    if (Matches(filter, item))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }

    private static IEnumerable<JsonNode?> Children(JsonNode? node) => node switch
    {
        JsonObject o => o.Select(p => p.Value),
        JsonArray a => a,
        _ => [],
    };

    private static IEnumerable<JsonNode?> SelfAndDescendants(JsonNode? node)
    {
        yield return node;
        foreach (var child in Children(node))
        {
            foreach (var descendant in SelfAndDescendants(child))
            {
                yield return descendant;
            }
        }
    }

    private static IEnumerable<JsonNode?> Slice(JsonArray array, IndexStep index)
    {
        var count = array.Count;
        int Normalize(int i) => i < 0 ? Math.Max(0, count + i) : Math.Min(i, count);
        if (index.Single)
        {
            var i = index.Start ?? 0;
            i = i < 0 ? count + i : i;
            if (i >= 0 && i < count)
            {
                yield return array[i];
            }

            yield break;
        }

        var start = Normalize(index.Start ?? 0);
        var end = Normalize(index.End ?? count);
        for (var i = start; i < end; i += Math.Max(1, index.Step))
        {
            yield return array[i];
        }
    }

    private static bool Matches(FilterStep filter, JsonNode? item)
    {
        var left = filter.Left.Evaluate(item);
        if (filter.Operator is null)
        {
            return left.Count > 0 && left[0] is not null;
        }

        if (left.Count == 0)
        {
            return false;
        }

        var right = filter.RightPath is { } path ? path.Evaluate(item).FirstOrDefault() : filter.Right;
        var comparison = Compare(left[0], right);
        return filter.Operator switch
        {
            "==" => comparison == 0,
            "!=" => comparison != 0,
            "<" => comparison is < 0 and not int.MinValue,
            ">" => comparison is > 0 and not int.MaxValue,
            "<=" => comparison is <= 0 and not int.MinValue,
            ">=" => comparison is >= 0 and not int.MaxValue,
            _ => false,
        };
    }

    /// <summary>Numbers compare as numbers, strings as strings; values of other kinds are unequal (int.MinValue).</summary>
    private static int Compare(JsonNode? left, JsonNode? right)
    {
        if (left is JsonValue l && right is JsonValue r)
        {
            if (l.TryGetValue<double>(out var a) && r.TryGetValue<double>(out var b))
            {
                return a.CompareTo(b);
            }

            if (l.TryGetValue<string>(out var s) && r.TryGetValue<string>(out var t))
            {
                return string.CompareOrdinal(s, t);
            }

            if (l.TryGetValue<bool>(out var x) && r.TryGetValue<bool>(out var y))
            {
                return x == y ? 0 : int.MinValue;
            }
        }

        return left is null && right is null ? 0 : int.MinValue;
    }

    private static List<Step> ParseSteps(string text, ref int position, char? stopAt)
    {
        var steps = new List<Step>();
        if (position < text.Length && text[position] == '@')
        {
            position++;
        }

        while (position < text.Length && text[position] != stopAt && !IsOperatorStart(text, position, stopAt))
        {
            var c = text[position];
            if (c == '.')
            {
                if (position + 1 < text.Length && text[position + 1] == '.')
                {
                    position += 2;
                    var name = ReadName(text, ref position);
                    steps.Add(new RecursiveStep(name.Length == 0 || name == "*" ? null : name));
                    continue;
                }

                position++;
                if (position < text.Length && text[position] == '*')
                {
                    position++;
                    steps.Add(new WildcardStep());
                    continue;
                }

                var field = ReadName(text, ref position);
                if (field.Length > 0)
                {
                    steps.Add(new FieldStep(field));
                }

                continue;
            }

            if (c == '[')
            {
                steps.Add(ParseBracket(text, ref position));
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                break;
            }

            // A path may start with a bare field name ("metadata.name").
            if (steps.Count == 0 && (char.IsLetter(c) || c == '_'))
            {
                steps.Add(new FieldStep(ReadName(text, ref position)));
                continue;
            }

            throw new FormatException($"unrecognized character in JSONPath at {position}: {text}");
        }

        return steps;
    }

    private static bool IsOperatorStart(string text, int position, char? stopAt) =>
        stopAt == ')' && (text[position] is '=' or '!' or '<' or '>' || char.IsWhiteSpace(text[position]));

    private static string ReadName(string text, ref int position)
    {
        var start = position;
        var name = new System.Text.StringBuilder();
        while (position < text.Length && text[position] is not ('.' or '[' or ')' or ' ' or '=' or '!' or '<' or '>'))
        {
            if (text[position] == '\\' && position + 1 < text.Length)
            {
                position++;
            }

            name.Append(text[position]);
            position++;
        }

        return position == start ? "" : name.ToString();
    }

    private static Step ParseBracket(string text, ref int position)
    {
        var close = FindClose(text, position);
        var inner = text[(position + 1)..close].Trim();
        position = close + 1;
        if (inner == "*")
        {
            return new WildcardStep();
        }

        if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
        {
            return ParseFilter(inner[2..^1].Trim());
        }

        if (inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0])
        {
            return new FieldStep(inner[1..^1]);
        }

        var parts = inner.Split(':');
        int? Number(string s) => s.Trim().Length == 0 ? null : int.Parse(s.Trim(), CultureInfo.InvariantCulture);
        return parts.Length switch
        {
            1 => new IndexStep(Number(parts[0]), null, 1, Single: true),
            2 => new IndexStep(Number(parts[0]), Number(parts[1]), 1, Single: false),
            3 => new IndexStep(Number(parts[0]), Number(parts[1]), Number(parts[2]) ?? 1, Single: false),
            _ => throw new FormatException($"invalid array index in JSONPath: {inner}"),
        };
    }

    private static int FindClose(string text, int open)
    {
        var depth = 0;
        char? quote = null;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '[':
                    depth++;
                    break;
                case ']':
                    if (--depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        throw new FormatException($"unclosed [ in JSONPath: {text}");
    }

    private static FilterStep ParseFilter(string expression)
    {
        var position = 0;
        var left = new JsonPathExpression(ParseSteps(expression, ref position, stopAt: ')'));
        while (position < expression.Length && char.IsWhiteSpace(expression[position]))
        {
            position++;
        }

        if (position >= expression.Length)
        {
            return new FilterStep(left, null, null, null);
        }

        var op = expression[position..].StartsWith("==", StringComparison.Ordinal) ? "=="
            : expression[position..].StartsWith("!=", StringComparison.Ordinal) ? "!="
            : expression[position..].StartsWith("<=", StringComparison.Ordinal) ? "<="
            : expression[position..].StartsWith(">=", StringComparison.Ordinal) ? ">="
            : expression[position] is '<' ? "<"
            : expression[position] is '>' ? ">"
            : throw new FormatException($"unrecognized filter operator in JSONPath: {expression}");
        var right = expression[(position + op.Length)..].Trim();
        if (right.StartsWith('@'))
        {
            return new FilterStep(left, op, null, Parse(right));
        }

        JsonNode? literal = right.Length >= 2 && right[0] is '\'' or '"' && right[^1] == right[0]
            ? JsonValue.Create(right[1..^1])
            : JsonNode.Parse(right);
        return new FilterStep(left, op, literal, null);
    }
}
