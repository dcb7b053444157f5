using System.Globalization;
using System.Text;

namespace ApiMachinery.Validation;

/// <summary>
/// The path from an object's root to a field, printed as kube prints it (field.Path):
/// <c>spec.containers[0].name</c>, <c>metadata.annotations[key]</c>. Immutable; each step shares its parent.
/// </summary>
public sealed class FieldPath
{
    // Either a field name, or (when null) a subscript of the parent.
    private readonly string? _name;
    private readonly string? _index;

    private FieldPath(string? name, string? index, FieldPath? parent)
    {
        _name = name;
        _index = index;
        Parent = parent;
    }

    public FieldPath? Parent { get; }

    /// <summary>A root path made of one or more dotted names.</summary>
    public static FieldPath New(string name, params string[] moreNames)
    {
        var path = new FieldPath(name, null, null);
        foreach (var more in moreNames)
        {
            path = new FieldPath(more, null, path);
        }
        return path;
    }

    public FieldPath Child(string name, params string[] moreNames)
    {
        var path = new FieldPath(name, null, this);
        foreach (var more in moreNames)
        {
            path = new FieldPath(more, null, path);
        }
        return path;
    }

    public FieldPath Index(int index) => new(null, index.ToString(CultureInfo.InvariantCulture), this);

    public FieldPath Key(string key) => new(null, key, this);

    public FieldPath Root
    {
        get
        {
            var p = this;
            while (p.Parent is not null)
            {
                p = p.Parent;
            }
            return p;
        }
    }

    /// <summary>Go prints a nil *field.Path as "&lt;nil&gt;"; the label selector parser's messages show it.</summary>
    public static string ToString(FieldPath? path) => path?.ToString() ?? "<nil>";

    /// <summary>Child of a possibly absent parent, as Go's nil-receiver Child does: without a parent it is a root.</summary>
    internal static FieldPath ChildOf(FieldPath? parent, string name) => parent is null ? New(name) : parent.Child(name);

    public override string ToString()
    {
        var elements = new List<FieldPath>();
        for (var p = this; p is not null; p = p.Parent)
        {
            elements.Add(p);
        }
        var sb = new StringBuilder();
        for (var i = elements.Count - 1; i >= 0; i--)
        {
            var p = elements[i];
            if (!string.IsNullOrEmpty(p._name))
            {
                if (p.Parent is not null)
                {
                    sb.Append('.');
                }
                sb.Append(p._name);
            }
            else
            {
                sb.Append('[').Append(p._index).Append(']');
            }
        }
        return sb.ToString();
    }
}
