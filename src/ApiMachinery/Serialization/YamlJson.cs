using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ApiMachinery.Serialization;

/// <summary>YAML that cannot be turned into JSON; messages follow go-yaml's ("yaml: line 3: ...").</summary>
public sealed class YamlJsonException : FormatException
{
    public YamlJsonException(string message)
        : base(message)
    {
    }

    public YamlJsonException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// YAML to and from JSON as kube-apiserver does it with sigs.k8s.io/yaml (go-yaml v2 underneath).
/// Reading: YAML 1.1 scalars (unquoted true/false/yes/no/on/off, ints incl. 0x/0o/octal, floats, null/~),
/// quoted scalars stay strings, merge keys and anchors are expanded, keys become strings, timestamps stay strings.
/// Writing (<c>Accept: application/yaml</c>): keys sorted in go-yaml's order, block style, 2-space indent,
/// strings quoted only when they would read back as something else.
/// </summary>
public static class YamlJson
{
    private const string DocumentSeparator = "---";

    /// <summary>
    /// Converts the first YAML document to JSON (YAMLToJSON). An empty document gives null.
    /// Keys keep their document order (kube's typed decoding does not depend on it).
    /// </summary>
    /// <param name="yaml">YAML text; only its first document is read.</param>
    /// <param name="strict">Reject duplicate keys, as YAMLToJSONStrict does for fieldValidation=Strict.</param>
    /// <exception cref="YamlJsonException">Malformed YAML or a value JSON cannot hold (NaN, a map as a key...).</exception>
    public static JsonNode? ToJsonNode(string yaml, bool strict = false) => new YamlReader(strict).Read(yaml);

    /// <summary>
    /// go-yaml's reader refuses text that is not UTF-8, naming the first problem as its reader does
    /// ("invalid leading UTF-8 octet", ...); null when the bytes are valid UTF-8.
    /// </summary>
    public static string? Utf8Problem(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return null;
        }

        for (var i = 0; i < bytes.Length;)
        {
            var lead = bytes[i];
            var width = (lead & 0x80) == 0 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
            if (width == 0)
            {
                return "invalid leading UTF-8 octet";
            }

            if (i + width > bytes.Length)
            {
                return "incomplete UTF-8 octet sequence";
            }

            var value = width switch { 1 => lead & 0x7F, 2 => lead & 0x1F, 3 => lead & 0x0F, _ => lead & 0x07 };
            for (var k = 1; k < width; k++)
            {
                if ((bytes[i + k] & 0xC0) != 0x80)
                {
                    return "invalid trailing UTF-8 octet";
                }

                value = (value << 6) | (bytes[i + k] & 0x3F);
            }

            if (!(width == 1 || (width == 2 && value >= 0x80) || (width == 3 && value >= 0x800) || (width == 4 && value >= 0x10000)))
            {
                return "invalid length of a UTF-8 sequence";
            }

            if (value is >= 0xD800 and <= 0xDFFF || value > 0x10FFFF)
            {
                return "invalid Unicode character";
            }

            i += width;
        }

        return "invalid leading UTF-8 octet";
    }

    /// <summary>
    /// Splits a multi-document stream the way kubectl's YAML reader does: on lines starting with "---"
    /// (followed only by spaces or a comment); chunks that are empty are skipped.
    /// </summary>
    /// <exception cref="YamlJsonException">A separator line with content after "---".</exception>
    public static IReadOnlyList<string> SplitDocuments(string yaml)
    {
        var documents = new List<string>();
        var buffer = new StringBuilder();
        var position = 0;
        while (position < yaml.Length)
        {
            var end = yaml.IndexOf('\n', position);
            var line = end < 0 ? yaml[position..] : yaml[position..(end + 1)];
            position = end < 0 ? yaml.Length : end + 1;
            if (line.StartsWith(DocumentSeparator, StringComparison.Ordinal))
            {
                var trimmed = line[DocumentSeparator.Length..].Trim();
                if (trimmed.Length > 0 && trimmed[0] != '#')
                {
                    throw new YamlJsonException($"invalid Yaml document separator: {trimmed}");
                }
                if (buffer.Length != 0)
                {
                    documents.Add(buffer.ToString());
                    buffer.Clear();
                }
                continue;
            }
            buffer.Append(line);
        }
        if (buffer.Length != 0)
        {
            documents.Add(buffer.ToString());
        }
        return documents;
    }

    /// <summary>Every document of a stream as JSON, leaving out documents that are empty (null).</summary>
    public static IReadOnlyList<JsonNode> ToJsonNodes(string yaml, bool strict = false)
    {
        var nodes = new List<JsonNode>();
        foreach (var document in SplitDocuments(yaml))
        {
            if (ToJsonNode(document, strict) is { } node)
            {
                nodes.Add(node);
            }
        }
        return nodes;
    }

    /// <summary>JSON to YAML text (JSONToYAML), ending with a newline; null becomes "null\n".</summary>
    public static string FromJsonNode(JsonNode? node) => YamlEmitter.Emit(node);

    /// <summary>
    /// Throws the <see cref="YamlJsonException"/> <see cref="FromJsonNode"/> would throw for a document
    /// holding <paramref name="node"/>, <paramref name="nextLines"/> being the NEL line breaks of the
    /// document's strings before it (carried from node to node, as a list's items are checked in turn).
    /// </summary>
    public static void Check(JsonNode? node, ref int nextLines) => YamlEmitter.Check(node, ref nextLines);

    /// <summary>YAML text for a JSON document given as text.</summary>
    public static string FromJson(string json) => FromJsonNode(JsonNode.Parse(json));

    /// <summary>Builds a tree from YamlDotNet's events and converts it with go-yaml's decoding rules.</summary>
    private sealed class YamlReader
    {
        private const string YamlMapType = "map[interface {}]interface {}";
        private const int MaxDepth = 10_000;
        private const int AliasRatioRangeLow = 400_000;
        private const int AliasRatioRangeHigh = 4_000_000;

        private readonly bool _strict;
        private readonly Dictionary<string, Node> _anchors = new(StringComparer.Ordinal);
        private readonly HashSet<AliasNode> _activeAliases = [];
        private readonly List<string> _typeErrors = [];
        private int _decodeCount;
        private int _aliasCount;
        private int _aliasDepth;

        public YamlReader(bool strict)
        {
            _strict = strict;
        }

        private abstract class Node
        {
            public int Line { get; init; }
        }

        private sealed class ScalarNode : Node
        {
            public required string Value { get; init; }

            public required string Tag { get; init; }

            public required bool Plain { get; init; }
        }

        private sealed class SequenceNode : Node
        {
            public List<Node> Items { get; } = [];
        }

        private sealed class MappingNode : Node
        {
            public List<(Node Key, Node Value)> Pairs { get; } = [];
        }

        private sealed class AliasNode : Node
        {
            public required string Name { get; init; }

            public required Node Target { get; init; }
        }

        public JsonNode? Read(string yaml)
        {
            Node? root;
            try
            {
                root = ParseFirstDocument(yaml);
            }
            catch (YamlException e)
            {
                // go-yaml names the line only past the first one: 1-based for scanner errors, but the
                // 0-based number for parser errors.
                var line = e is SemanticErrorException ? e.Start.Line - 1 : e.Start.Line;
                var where = e.Start.Line > 1 && line > 0 ? string.Create(CultureInfo.InvariantCulture, $"line {line}: ") : "";
                throw new YamlJsonException($"yaml: {where}{LibyamlStyle(e.Message)}", e);
            }
            if (root is null)
            {
                return null;
            }
            var result = Convert(root);
            if (_typeErrors.Count > 0)
            {
                throw new YamlJsonException("yaml: unmarshal errors:\n  " + string.Join("\n  ", _typeErrors));
            }
            return result;
        }

        // YamlDotNet words problems as "(Line: 1, Col: 2, Idx: 1) - (...): While parsing X, did not find Y.";
        // go-yaml as "did not find Y". Keep the problem, in libyaml's lower-case style, without the context.
        private static string LibyamlStyle(string message)
        {
            var marker = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker >= 0)
            {
                message = message[(marker + 3)..];
            }
            if (message.StartsWith("While ", StringComparison.Ordinal) && message.IndexOf(", ", StringComparison.Ordinal) is var comma and > 0)
            {
                message = message[(comma + 2)..];
            }
            message = message.TrimEnd('.');
            if (message.Contains("found invalid mapping", StringComparison.Ordinal))
            {
                return "mapping values are not allowed in this context";
            }
            if (message.Contains("invalid tab", StringComparison.Ordinal))
            {
                return "found character that cannot start any token";
            }
            return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : message;
        }

        // go-yaml's Unmarshal reads only the first document of a stream.
        private Node? ParseFirstDocument(string yaml)
        {
            var parser = new Parser(new StringReader(yaml));
            var stack = new Stack<Node>();
            Node? root = null;
            var pendingKeys = new Stack<Node?>();
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                Node? completed = null;
                switch (ev)
                {
                    case StreamStart:
                    case DocumentStart:
                        continue;
                    case DocumentEnd:
                    case StreamEnd:
                        return root;
                    case Scalar scalar:
                        var tag = scalar.Tag.IsEmpty ? "" : scalar.Tag.Value;
                        completed = Register(scalar.Anchor, new ScalarNode
                        {
                            Value = scalar.Value,
                            Tag = tag,
                            Plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any,
                            Line = (int)scalar.Start.Line,
                        });
                        break;
                    case AnchorAlias alias:
                        if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            throw new YamlJsonException($"yaml: unknown anchor '{alias.Value.Value}' referenced");
                        }
                        completed = new AliasNode { Name = alias.Value.Value, Target = target, Line = (int)alias.Start.Line };
                        break;
                    case SequenceStart sequenceStart:
                        stack.Push(Register(sequenceStart.Anchor, new SequenceNode { Line = (int)sequenceStart.Start.Line }));
                        CheckDepth(stack.Count);
                        continue;
                    case MappingStart mappingStart:
                        stack.Push(Register(mappingStart.Anchor, new MappingNode { Line = (int)mappingStart.Start.Line }));
                        pendingKeys.Push(null);
                        CheckDepth(stack.Count);
                        continue;
                    case SequenceEnd:
                        completed = stack.Pop();
                        break;
                    case MappingEnd:
                        completed = stack.Pop();
                        pendingKeys.Pop();
                        break;
                    default:
                        continue;
                }
                if (stack.Count == 0)
                {
                    root = completed;
                    continue;
                }
                switch (stack.Peek())
                {
                    case SequenceNode sequence:
                        sequence.Items.Add(completed);
                        break;
                    case MappingNode mapping:
                        var key = pendingKeys.Pop();
                        if (key is null)
                        {
                            pendingKeys.Push(completed);
                        }
                        else
                        {
                            mapping.Pairs.Add((key, completed));
                            pendingKeys.Push(null);
                        }
                        break;
                }
            }
            return root;
        }

        // go-yaml's scanner caps nesting at 10000 levels; the conversion below recurses per level.
        private static void CheckDepth(int depth)
        {
            if (depth > MaxDepth)
            {
                throw new YamlJsonException(string.Create(CultureInfo.InvariantCulture, $"yaml: exceeded max depth of {MaxDepth}"));
            }
        }

        private T Register<T>(AnchorName anchor, T node)
            where T : Node
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }
            return node;
        }

        private JsonNode? Convert(Node node)
        {
            _decodeCount++;
            if (_aliasDepth > 0)
            {
                _aliasCount++;
            }
            if (_aliasCount > 100 && _decodeCount > 1000 && (double)_aliasCount / _decodeCount > AllowedAliasRatio(_decodeCount))
            {
                throw new YamlJsonException("yaml: document contains excessive aliasing");
            }
            switch (node)
            {
                case AliasNode alias:
                    if (!_activeAliases.Add(alias))
                    {
                        throw new YamlJsonException($"yaml: anchor '{alias.Name}' value contains itself");
                    }
                    _aliasDepth++;
                    try
                    {
                        return Convert(alias.Target);
                    }
                    finally
                    {
                        _aliasDepth--;
                        _activeAliases.Remove(alias);
                    }
                case ScalarNode scalar:
                    return ScalarToJson(ResolveScalar(scalar));
                case SequenceNode sequence:
                    var array = new JsonArray();
                    foreach (var item in sequence.Items)
                    {
                        array.Add(Convert(item));
                    }
                    return array;
                case MappingNode mapping:
                    var obj = new JsonObject();
                    FillMapping(mapping, obj);
                    return obj;
                default:
                    throw new InvalidOperationException("unknown YAML node");
            }
        }

        private void FillMapping(MappingNode mapping, JsonObject obj)
        {
            foreach (var (keyNode, valueNode) in mapping.Pairs)
            {
                if (IsMergeKey(keyNode))
                {
                    Merge(valueNode, obj);
                    continue;
                }
                var key = ConvertKey(keyNode, valueNode);
                var value = Convert(valueNode);
                if (_strict && obj.ContainsKey(key))
                {
                    _typeErrors.Add(string.Create(CultureInfo.InvariantCulture, $"line {valueNode.Line}: key {GoKeySyntax(keyNode)} already set in map"));
                    continue;
                }
                obj[key] = value;
            }
        }

        private static bool IsMergeKey(Node key) =>
            key is ScalarNode { Value: "<<" } scalar && ((scalar.Plain && scalar.Tag.Length == 0) || scalar.Tag == YamlResolver.MergeTag);

        // Later mappings in a merge sequence are applied first so that earlier ones win, as in go-yaml.
        private void Merge(Node value, JsonObject into)
        {
            switch (Deref(value))
            {
                case MappingNode mapping:
                    WithAlias(value, () => FillMapping(mapping, into));
                    break;
                case SequenceNode sequence when value is not AliasNode:
                    for (var i = sequence.Items.Count - 1; i >= 0; i--)
                    {
                        var item = sequence.Items[i];
                        if (Deref(item) is not MappingNode itemMapping)
                        {
                            throw FailWantMap();
                        }
                        WithAlias(item, () => FillMapping(itemMapping, into));
                    }
                    break;
                default:
                    throw FailWantMap();
            }
        }

        private void WithAlias(Node node, Action action)
        {
            if (node is not AliasNode alias)
            {
                _decodeCount++;
                action();
                return;
            }
            if (!_activeAliases.Add(alias))
            {
                throw new YamlJsonException($"yaml: anchor '{alias.Name}' value contains itself");
            }
            _aliasDepth++;
            try
            {
                action();
            }
            finally
            {
                _aliasDepth--;
                _activeAliases.Remove(alias);
            }
        }

        private static YamlJsonException FailWantMap() => new("yaml: map merge requires map or sequence of maps as the value");

        private static Node Deref(Node node)
        {
            var seen = 0;
            while (node is AliasNode alias && seen++ < 1000)
            {
                node = alias.Target;
            }
            return node;
        }

        // sigs.k8s.io/yaml turns keys into strings: ints in decimal, floats as 32-bit %g, booleans as true/false.
        private string ConvertKey(Node keyNode, Node valueNode)
        {
            var target = Deref(keyNode);
            if (target is not ScalarNode scalar)
            {
                throw new YamlJsonException("yaml: invalid map key: " + GoText.GoSyntax(Convert(keyNode), YamlMapType));
            }
            var (_, value) = ResolveScalar(scalar);
            switch (value)
            {
                case string s:
                    return s;
                case long l:
                    return l.ToString(CultureInfo.InvariantCulture);
                case double d:
                    var text = GoText.FormatFloat(d, 'g', 32);
                    return text switch
                    {
                        "+Inf" => ".inf",
                        "-Inf" => "-.inf",
                        "NaN" => ".nan",
                        _ => text,
                    };
                case bool b:
                    return b ? "true" : "false";
                default:
                    // sigs.k8s.io/yaml formats this with %s, %+#v and %+#v; fmt prints a nil type as %!s(<nil>).
                    var (typeName, keyText) = value switch
                    {
                        null => ("%!s(<nil>)", "<nil>"),
                        ulong u => ("uint64", "0x" + u.ToString("x", CultureInfo.InvariantCulture)),
                        _ => (value.GetType().Name, System.Convert.ToString(value, CultureInfo.InvariantCulture)),
                    };
                    var valueText = GoText.GoSyntax(Convert(valueNode), YamlMapType);
                    throw new YamlJsonException($"unsupported map key of type: {typeName}, key: {keyText}, value: {valueText}");
            }
        }

        // fmt's %#v of the decoded key, as go-yaml's strict duplicate-key message prints it.
        private static string GoKeySyntax(Node keyNode) => Deref(keyNode) is ScalarNode scalar
            ? ResolveScalar(scalar).Value switch
            {
                string str => GoText.Quote(str),
                null => "interface {}(nil)",
                bool b => b ? "true" : "false",
                var v => System.Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
            }
            : "map[interface {}]interface {}{}";

        // decoder.scalar: untagged quoted and block scalars are strings; everything else goes through resolve.
        private static (string Tag, object? Value) ResolveScalar(ScalarNode scalar)
        {
            if (scalar.Tag.Length == 0 && !scalar.Plain)
            {
                return (YamlResolver.StrTag, scalar.Value);
            }
            var (rtag, value) = YamlResolver.Resolve(scalar.Tag, scalar.Value);
            if (rtag == YamlResolver.BinaryTag)
            {
                try
                {
                    var bytes = System.Convert.FromBase64String(scalar.Value);
                    value = Encoding.UTF8.GetString(bytes);
                }
                catch (FormatException)
                {
                    throw new YamlJsonException("yaml: !!binary value contains invalid base64 data");
                }
            }
            return (rtag, value);
        }

        private static JsonNode? ScalarToJson((string Tag, object? Value) resolved) => resolved.Value switch
        {
            null => null,
            string s => JsonValue.Create(s),
            bool b => JsonValue.Create(b),
            // Numbers are backed by JSON text, as when the body arrives as JSON, so GetValue<int>() works.
            long l => JsonNode.Parse(l.ToString(CultureInfo.InvariantCulture)),
            ulong u => JsonNode.Parse(u.ToString(CultureInfo.InvariantCulture)),
            double d when double.IsFinite(d) => JsonNode.Parse(GoText.FormatJsonFloat(d)),
            double d => throw new YamlJsonException("json: unsupported value: " + GoText.FormatFloat(d, 'g')),
            _ => JsonValue.Create(resolved.Value.ToString()),
        };

        private static double AllowedAliasRatio(int decodeCount)
        {
            if (decodeCount <= AliasRatioRangeLow)
            {
                return 0.99;
            }
            if (decodeCount >= AliasRatioRangeHigh)
            {
                return 0.10;
            }
            return 0.99 - (0.89 * ((double)(decodeCount - AliasRatioRangeLow) / (AliasRatioRangeHigh - AliasRatioRangeLow)));
        }
    }
}
