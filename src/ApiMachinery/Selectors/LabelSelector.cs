using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiMachinery.Selectors;

/// <summary>
/// A label selector (labels.Selector): requirements ANDed together, kept sorted by key.
/// An empty selector matches everything; <see cref="Nothing"/> matches nothing.
/// </summary>
public sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([], nothing: false);

    /// <summary>Matches no labels; what a null metav1.LabelSelector means.</summary>
    public static readonly LabelSelector Nothing = new([], nothing: true);

    private readonly bool _nothing;

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements, bool nothing)
    {
        Requirements = requirements;
        _nothing = nothing;
    }

    public IReadOnlyList<LabelRequirement> Requirements { get; }

    /// <summary>True when the selector does not restrict anything (false for <see cref="Nothing"/>).</summary>
    public bool IsEmpty => !_nothing && Requirements.Count == 0;

    /// <summary>
    /// Parses the label selector syntax of the labelSelector query parameter:
    /// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>, <c>k&gt;1</c>, <c>k&lt;1</c>, joined by ','.
    /// </summary>
    /// <exception cref="SelectorParseException">With kube's message, e.g. <c>unable to parse requirement: found '', expected: '('</c>.</exception>
    public static LabelSelector Parse(string selector, FieldPath? path = null)
    {
        var requirements = new LabelSelectorParser(selector, path).Parse();
        return new LabelSelector(SortByKey(requirements), nothing: false);
    }

    public static bool TryParse(string selector, out LabelSelector result)
    {
        try
        {
            result = Parse(selector);
            return true;
        }
        catch (SelectorParseException)
        {
            result = Nothing;
            return false;
        }
    }

    /// <summary>Exact matches for every entry of the set, unvalidated (labels.SelectorFromSet).</summary>
    public static LabelSelector FromSet(IReadOnlyDictionary<string, string>? set)
    {
        if (set is null || set.Count == 0)
        {
            return Everything;
        }
        var requirements = set.Select(p => LabelRequirement.CreateUnchecked(p.Key, SelectionOperator.Equals, [p.Value])).ToList();
        return new LabelSelector(SortByKey(requirements), nothing: false);
    }

    /// <summary>
    /// metav1.LabelSelectorAsSelector over a JSON <c>{matchLabels, matchExpressions}</c>: null selects nothing,
    /// an empty one everything; keys and values are validated.
    /// </summary>
    /// <exception cref="SelectorParseException">An invalid key, value or operator.</exception>
    public static LabelSelector FromLabelSelectorJson(JsonObject? selector)
    {
        if (selector is null)
        {
            return Nothing;
        }
        var matchLabels = selector["matchLabels"] as JsonObject;
        var matchExpressions = selector["matchExpressions"] as JsonArray;
        if ((matchLabels?.Count ?? 0) + (matchExpressions?.Count ?? 0) == 0)
        {
            return Everything;
        }
        var requirements = new List<LabelRequirement>();
        foreach (var (key, value) in ObjectMeta.ReadStringMap(matchLabels))
        {
            requirements.Add(LabelRequirement.Create(key, SelectionOperator.Equals, [value]));
        }
        foreach (var expression in matchExpressions?.OfType<JsonObject>() ?? [])
        {
            var key = expression["key"].AsString() ?? "";
            var operatorName = expression["operator"].AsString() ?? "";
            var op = operatorName switch
            {
                "In" => SelectionOperator.In,
                "NotIn" => SelectionOperator.NotIn,
                "Exists" => SelectionOperator.Exists,
                "DoesNotExist" => SelectionOperator.DoesNotExist,
                _ => throw new SelectorParseException($"{GoText.Quote(operatorName)} is not a valid label selector operator"),
            };
            requirements.Add(LabelRequirement.Create(key, op, ObjectMeta.ReadStringList(expression["values"])));
        }
        return new LabelSelector(SortByKey(requirements), nothing: false);
    }

    /// <summary>True when every requirement matches; absent labels are an empty set.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (_nothing)
        {
            return false;
        }
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A new selector with more requirements (labels.Selector.Add).</summary>
    public LabelSelector Add(params LabelRequirement[] requirements) =>
        _nothing ? this : new LabelSelector(SortByKey([.. Requirements, .. requirements]), nothing: false);

    /// <summary>
    /// The single value the selector requires for a label (=, == or in with one value), for index lookups
    /// (labels.Selector.RequiresExactMatch). Only the first requirement on the label is considered.
    /// </summary>
    public bool TryGetExactMatch(string label, out string value)
    {
        foreach (var requirement in Requirements)
        {
            if (requirement.Key != label)
            {
                continue;
            }
            if (requirement.Operator is SelectionOperator.Equals or SelectionOperator.DoubleEquals or SelectionOperator.In
                && requirement.Values.Count == 1)
            {
                value = requirement.Values[0];
                return true;
            }
            break;
        }
        value = "";
        return false;
    }

    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    private static List<LabelRequirement> SortByKey(IEnumerable<LabelRequirement> requirements) =>
        requirements.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
}
