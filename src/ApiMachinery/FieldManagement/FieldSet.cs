using System.Text.Json.Nodes;

namespace ApiMachinery.FieldManagement;

/// <summary>
/// A set of field paths, as structured-merge-diff's fieldpath.Set and the <c>FieldsV1</c> format of
/// <c>metadata.managedFields</c> hold it: a tree whose edges are path elements (<c>f:name</c> a field,
/// <c>k:{"name":"x"}</c> an item of a keyed list, <c>v:"x"</c> an item of a set, <c>i:3</c> an item by
/// index) and whose nodes are members of the set or only parents of members (the <c>"."</c> key
/// marks a node that is itself a member and also has children).
/// </summary>
public sealed class FieldSet
{
    // Children sorted by PathElements.Comparer; a sorted list is much lighter than a tree for the
    // handful of children a node has, and every write builds a few of these sets.
    private List<KeyValuePair<string, FieldSet>>? _children;

    /// <summary>Whether the path to this node is itself in the set.</summary>
    public bool IsMember { get; set; }

    /// <summary>The children in the set's order.</summary>
    public IReadOnlyList<KeyValuePair<string, FieldSet>> Children =>
        (IReadOnlyList<KeyValuePair<string, FieldSet>>?)_children ?? [];

    /// <summary>No member here or below.</summary>
    public bool IsEmpty => !IsMember && (_children is null || _children.TrueForAll(c => c.Value.IsEmpty));

    public FieldSet? Get(string element)
    {
        if (_children is null)
        {
            return null;
        }

        var at = Find(element);
        return at >= 0 ? _children[at].Value : null;
    }

    /// <summary>The child node for <paramref name="element"/>, made if missing.</summary>
    public FieldSet Child(string element)
    {
        _children ??= [];
        var at = Find(element);
        if (at >= 0)
        {
            return _children[at].Value;
        }

        var child = new FieldSet();
        _children.Insert(~at, new KeyValuePair<string, FieldSet>(element, child));
        return child;
    }

    private int Find(string element)
    {
        int low = 0, high = _children!.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var order = PathElements.Comparer.Compare(_children[mid].Key, element);
            if (order == 0)
            {
                return mid;
            }

            if (order < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return ~low;
    }

    public void Insert(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            node = node.Child(element);
        }

        node.IsMember = true;
    }

    /// <summary>Whether <paramref name="path"/> is a member.</summary>
    public bool Has(IReadOnlyList<string> path) => Node(path)?.IsMember == true;

    /// <summary>The node at <paramref name="path"/> (a member or a parent of members), or null.</summary>
    public FieldSet? Node(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            node = node.Get(element);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.UnionWith(other);
        return result;
    }

    public void UnionWith(FieldSet other)
    {
        IsMember |= other.IsMember;
        foreach (var (element, child) in other.Children)
        {
            Child(element).UnionWith(child);
        }
    }

    /// <summary>The members of this set that are not members of <paramref name="other"/>.</summary>
    public FieldSet Difference(FieldSet? other)
    {
        var result = new FieldSet { IsMember = IsMember && other?.IsMember != true };
        foreach (var (element, child) in Children)
        {
            var diff = child.Difference(other?.Get(element));
            if (!diff.IsEmpty)
            {
                result.Child(element).UnionWith(diff);
            }
        }

        return result;
    }

    /// <summary>The members of both sets.</summary>
    public FieldSet Intersection(FieldSet? other)
    {
        var result = new FieldSet { IsMember = IsMember && other?.IsMember == true };
        if (other is null)
        {
            return result;
        }

        foreach (var (element, child) in Children)
        {
            if (other.Get(element) is { } otherChild)
            {
                var both = child.Intersection(otherChild);
                if (!both.IsEmpty)
                {
                    result.Child(element).UnionWith(both);
                }
            }
        }

        return result;
    }

    public FieldSet Clone()
    {
        var result = new FieldSet { IsMember = IsMember };
        foreach (var (element, child) in Children)
        {
            result.Child(element).UnionWith(child);
        }

        return result;
    }

    /// <summary>Every member path, in the set's order.</summary>
    public IEnumerable<IReadOnlyList<string>> Members()
    {
        var path = new List<string>();
        return Walk(this, path);

        static IEnumerable<IReadOnlyList<string>> Walk(FieldSet node, List<string> path)
        {
            if (node.IsMember && path.Count > 0)
            {
                yield return path.ToArray();
            }

            foreach (var (element, child) in node.Children)
            {
                path.Add(element);
                foreach (var member in Walk(child, path))
                {
                    yield return member;
                }

                path.RemoveAt(path.Count - 1);
            }
        }
    }

    /// <summary>The FieldsV1 form: <c>{"f:spec":{"f:replicas":{}}}</c>.</summary>
    public JsonObject ToFieldsV1()
    {
        var result = new JsonObject();
        if (IsMember && Children.Count > 0)
        {
            result["."] = new JsonObject();
        }

        foreach (var (element, child) in Children)
        {
            if (!child.IsEmpty)
            {
                result[element] = child.ToFieldsV1();
            }
        }

        return result;
    }

    /// <summary>Reads the FieldsV1 form; a node given as <c>{}</c> is a member.</summary>
    public static FieldSet FromFieldsV1(JsonObject? fields)
    {
        var set = new FieldSet();
        if (fields is not null)
        {
            Read(set, fields);
        }

        return set;

        static void Read(FieldSet node, JsonObject fields)
        {
            foreach (var (key, value) in fields)
            {
                if (key == ".")
                {
                    node.IsMember = true;
                    continue;
                }

                var child = node.Child(key);
                if (value is JsonObject { Count: > 0 } nested)
                {
                    Read(child, nested);
                }
                else
                {
                    child.IsMember = true;
                }
            }
        }
    }
}

/// <summary>Path elements as FieldsV1 writes them, and their order and readable form.</summary>
public static class PathElements
{
    /// <summary>structured-merge-diff's order: fields, then keys, then values, then indexes.</summary>
    public static readonly IComparer<string> Comparer = Comparer<string>.Create((a, b) =>
    {
        var rank = Rank(a).CompareTo(Rank(b));
        if (rank != 0)
        {
            return rank;
        }

        if (a.StartsWith("i:", StringComparison.Ordinal) && int.TryParse(a.AsSpan(2), out var ia) && int.TryParse(b.AsSpan(2), out var ib))
        {
            return ia.CompareTo(ib);
        }

        return string.CompareOrdinal(a, b);
    });

    public static string Field(string name) => "f:" + name;

    public static string Index(int index) => "i:" + index;

    public static string Value(JsonNode? value) => "v:" + Compact(value);

    /// <summary><c>k:{"containerPort":80,"protocol":"TCP"}</c>, the key fields sorted by name.</summary>
    public static string Key(IEnumerable<KeyValuePair<string, JsonNode?>> fields)
    {
        var key = new JsonObject();
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            key[name] = value?.DeepClone();
        }

        return "k:" + Compact(key);
    }

    /// <summary>The path as conflicts print it: <c>.spec.containers[name="app"].image</c>.</summary>
    public static string Readable(IEnumerable<string> path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var element in path)
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    text.Append('.').Append(body);
                    break;
                case 'k':
                    text.Append('[').Append(KeyText(body)).Append(']');
                    break;
                case 'v':
                    text.Append("[=").Append(body).Append(']');
                    break;
                default:
                    text.Append('[').Append(body).Append(']');
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary><c>name="app"</c> for a key's JSON; the JSON itself when it does not parse (a client wrote it).</summary>
    private static string KeyText(string json)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject fields
                ? string.Join(',', fields.Select(f => f.Key + "=" + Compact(f.Value)))
                : json;
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }
    }

    private static int Rank(string element) => element.Length == 0 ? 4 : element[0] switch
    {
        '.' => -1,
        'f' => 0,
        'k' => 1,
        'v' => 2,
        'i' => 3,
        _ => 4,
    };

    private static string Compact(JsonNode? value) =>
        value?.ToJsonString(Serialization.GoJsonEncoder.SerializerOptions) ?? "null";
}
