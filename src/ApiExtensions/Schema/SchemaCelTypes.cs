using System.Text;
using System.Text.RegularExpressions;
using ApiExtensions.Cel;

namespace ApiExtensions.Schema;

/// <summary>
/// The CEL types of a structural schema, as Kubernetes declares them for x-kubernetes-validations
/// (common.SchemaDeclType): objects with their (escaped) properties as fields, maps for additionalProperties,
/// lists, int-or-string as dyn, string formats byte/duration/date/date-time as bytes/duration/timestamp; nodes
/// without a type are left out. Resource roots also get apiVersion, kind and metadata.name/generateName.
/// Sizes are bounded by maxLength/maxItems/maxProperties, or by what fits in a 3 MiB request.
/// </summary>
internal static partial class SchemaCelTypes
{
    private const long MaxRequestSizeBytes = 3 * 1024 * 1024;

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import",
        "let", "loop", "package", "namespace", "return", "var", "void", "while",
    };

    /// <summary>A property name as a CEL field name (cel.Escape), or null when it cannot be one.</summary>
    public static string? Escape(string ident)
    {
        if (ident.Length == 0 || char.IsAsciiDigit(ident[0]))
        {
            return null;
        }
        if (Reserved.Contains(ident))
        {
            return "__" + ident + "__";
        }
        var needsExpansion = false;
        var previousUnderscore = false;
        foreach (var c in ident)
        {
            if (c is '/' or '-' or '.')
            {
                needsExpansion = true;
                continue;
            }
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return null;
            }
            if (c == '_' && previousUnderscore)
            {
                needsExpansion = true;
            }
            previousUnderscore = c == '_';
        }
        if (!needsExpansion)
        {
            return ident;
        }
        var sb = new StringBuilder();
        for (var i = 0; i < ident.Length; i++)
        {
            var c = ident[i];
            if (c == '_' && i + 1 < ident.Length && ident[i + 1] == '_')
            {
                sb.Append("__underscores__");
                i++;
                continue;
            }
            sb.Append(c switch
            {
                '.' => "__dot__",
                '-' => "__dash__",
                '/' => "__slash__",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>The declared type of a schema node (null when CEL cannot see it), with its minimum serialized size.</summary>
    public static (CelType? Type, long MinSize) DeclType(SchemaNode? s, bool isResourceRoot)
    {
        if (s is null)
        {
            return (null, 0);
        }
        if (s.XIntOrString)
        {
            var max = s.MaxLength is { } ml ? Math.Max(0, ml) * 4 : MaxRequestSizeBytes - 2;
            return (CelType.Dyn.WithMaxSize((ulong)max), 1);
        }
        if (isResourceRoot)
        {
            s = ResourceRootView(s);
        }
        switch (s.Type)
        {
            case "array":
            {
                if (s.Items is null)
                {
                    return (null, 0);
                }
                var (itemType, itemMin) = DeclType(s.Items, s.Items.XEmbeddedResource);
                if (itemType is null)
                {
                    return (null, 0);
                }
                var maxItems = s.MaxItems is { } mi ? Math.Max(0, mi) : (MaxRequestSizeBytes - 2) / (itemMin + 1);
                return (CelType.List(itemType).WithMaxSize((ulong)maxItems), 2);
            }
            case "object":
            {
                if (s.AdditionalProperties is { } ap)
                {
                    var (valueType, valueMin) = DeclType(ap, ap.XEmbeddedResource);
                    if (valueType is null)
                    {
                        return (null, 0);
                    }
                    var maxProps = s.MaxProperties is { } mp ? Math.Max(0, mp) : (MaxRequestSizeBytes - 2) / (valueMin + 6);
                    return (CelType.Map(CelType.String, valueType).WithMaxSize((ulong)maxProps), 2);
                }
                var obj = new ObjectType("object");
                long minSize = 2;
                var required = new HashSet<string>(s.Required ?? [], StringComparer.Ordinal);
                foreach (var (name, prop) in s.PropertyList ?? [])
                {
                    var (fieldType, fieldMin) = DeclType(prop, prop.XEmbeddedResource);
                    if (fieldType is null)
                    {
                        continue;
                    }
                    if (Escape(name) is { } celName)
                    {
                        obj.Fields[celName] = fieldType;
                    }
                    if (required.Contains(name) && prop.Default is null)
                    {
                        minSize += name.Length + fieldMin + 4;
                    }
                }
                return (CelType.ObjectOf(obj).WithMaxSize((ulong)Math.Max(0, s.MaxProperties ?? (MaxRequestSizeBytes - 2) / 7)), minSize);
            }
            case "string":
                switch (s.Format)
                {
                    case "byte":
                        return (CelType.Bytes.WithMaxSize((ulong)(s.MaxLength is { } bl ? Math.Max(0, bl) : MaxRequestSizeBytes - 2)), 2);
                    case "duration":
                        return (CelType.Duration.WithMaxSize(64), 4);
                    case "date":
                        return (CelType.Timestamp.WithMaxSize(12), 12);
                    case "date-time":
                        return (CelType.Timestamp.WithMaxSize(37), 22);
                }
                long maxLength;
                if (s.MaxLength is { } sl)
                {
                    maxLength = Math.Max(0, sl) * 4;
                }
                else if (s.Enum is { Count: > 0 } e)
                {
                    maxLength = e.Select(v => v is System.Text.Json.Nodes.JsonValue jv && jv.TryGetValue<string>(out var str) ? str.Length : 0).Max();
                }
                else
                {
                    maxLength = MaxRequestSizeBytes - 2;
                }
                return (CelType.String.WithMaxSize((ulong)maxLength), 2);
            case "boolean":
                return (CelType.Bool, 4);
            case "number":
                return (CelType.Double, 1);
            case "integer":
                return (CelType.Int, 1);
            default:
                return (null, 0);
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SchemaNode, SchemaNode> RootViews = new();

    /// <summary>The schema of a resource root as CEL sees it: apiVersion and kind strings, metadata with name and
    /// generateName (WithTypeAndObjectMeta).</summary>
    public static SchemaNode ResourceRootView(SchemaNode s) => RootViews.GetValue(s, static n =>
    {
        if (n.Property("kind") is { Type: "string" } && n.Property("apiVersion") is { Type: "string" } &&
            n.Property("metadata") is { Type: "object" } m && m.Property("name") is { Type: "string" } && m.Property("generateName") is { Type: "string" })
        {
            return n;
        }
        var view = n.ShallowCopy();
        var props = new List<KeyValuePair<string, SchemaNode>>(n.PropertyList ?? []);
        props.RemoveAll(p => p.Key is "kind" or "apiVersion" or "metadata");
        var existingMeta = n.Property("metadata");
        var metadata = new SchemaNode { Type = "object" };
        metadata.SetProperties([
            new("name", new SchemaNode { Type = "string", MaxLength = Math.Min(existingMeta?.Property("name")?.MaxLength ?? 253, 253) }),
            new("generateName", new SchemaNode { Type = "string", MaxLength = Math.Min(existingMeta?.Property("generateName")?.MaxLength ?? 252, 252) }),
        ]);
        props.Add(new("kind", new SchemaNode { Type = "string" }));
        props.Add(new("apiVersion", new SchemaNode { Type = "string" }));
        props.Add(new("metadata", metadata));
        view.SetProperties(props);
        return view;
    });
}
