namespace ApiMachinery.Selectors;

/// <summary>Selector operators (k8s.io/apimachinery/pkg/selection).</summary>
public enum SelectionOperator
{
    DoesNotExist,
    Equals,
    DoubleEquals,
    In,
    NotEquals,
    NotIn,
    Exists,
    GreaterThan,
    LessThan,
}

public static class SelectionOperators
{
    /// <summary>The operator's string as kube spells it: "!", "=", "==", "in", "!=", "notin", "exists", "gt", "lt".</summary>
    public static string ToKubeString(this SelectionOperator op) => op switch
    {
        SelectionOperator.DoesNotExist => "!",
        SelectionOperator.Equals => "=",
        SelectionOperator.DoubleEquals => "==",
        SelectionOperator.In => "in",
        SelectionOperator.NotEquals => "!=",
        SelectionOperator.NotIn => "notin",
        SelectionOperator.Exists => "exists",
        SelectionOperator.GreaterThan => "gt",
        SelectionOperator.LessThan => "lt",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}

/// <summary>A selector string that does not parse; the message is kube's, as the server returns it in a 400.</summary>
public sealed class SelectorParseException : FormatException
{
    public SelectorParseException(string message)
        : base(message)
    {
    }
}
