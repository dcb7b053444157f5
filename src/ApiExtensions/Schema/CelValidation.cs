using System.Text;
using System.Text.Json.Nodes;
using ApiExtensions.Cel;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiExtensions.Schema;

/// <summary>One x-kubernetes-validations rule, compiled for its schema node.</summary>
internal sealed class CompiledRule
{
    public required ValidationRule Rule { get; init; }
    public CelProgram? Program { get; init; }
    /// <summary>Why the rule did not compile (kube's detail text), or null.</summary>
    public string? Error { get; init; }
    public bool UsesOldSelf { get; init; }
    public CelProgram? MessageProgram { get; init; }
    public string? MessageError { get; init; }
    public ulong MaxCost { get; init; }
    public ulong MessageMaxCost { get; init; }
    /// <summary>How many times the node can repeat in an object when nothing above bounds it.</summary>
    public ulong MaxCardinality { get; init; }
    public string? NormalizedFieldPath { get; init; }
}

/// <summary>
/// x-kubernetes-validations: compiling each node's rules with <c>self</c> (and <c>oldSelf</c>) typed from the schema,
/// and evaluating them on custom resources (cel.Validator) with kube's messages, field paths, reasons, transition
/// rules, optionalOldSelf, ratcheting of unchanged values and the per-call and per-object cost limits.
/// </summary>
internal static class CelValidation
{
    /// <summary>The cost one rule evaluation may spend (PerCallLimit).</summary>
    public const long PerCallLimit = 1_000_000;

    /// <summary>The cost all rules of one object may spend (RuntimeCELCostBudget).</summary>
    public const long RuntimeCostBudget = 10_000_000;

    private const long MaxRequestSizeBytes = 3 * 1024 * 1024;

    private const int MaxMessageExpressionBytes = 5 * 1024;

    static CelValidation()
    {
        CelDefaults.Validate = ValidateDefault;
    }

    /// <summary>Makes sure the defaults hook is installed (the static constructor does it).</summary>
    public static void EnsureInitialized()
    {
    }

    /// <summary>The node's compiled rules (compiled on first use).</summary>
    public static CompiledRule[] Rules(SchemaNode s, bool isResourceRoot)
    {
        if (s.CompiledRules is { } existing)
        {
            return existing;
        }
        var compiled = s.XValidations is { Count: > 0 } rules ? Compile(s, isResourceRoot, rules) : [];
        s.CompiledRules = compiled;
        return compiled;
    }

    private static CompiledRule[] Compile(SchemaNode s, bool isResourceRoot, List<ValidationRule> rules)
    {
        var (declType, minSize) = SchemaCelTypes.DeclType(s, isResourceRoot);
        if (declType is null)
        {
            return rules.Select(r => new CompiledRule { Rule = r, Error = "failed to convert to declType for CEL validation rules" }).ToArray();
        }
        var env = CelEnvironment.Create(("self", declType), ("oldSelf", declType));
        var optionalEnv = CelEnvironment.Create(("self", declType), ("oldSelf", CelType.Optional(declType)));
        var maxCardinality = (ulong)(MaxRequestSizeBytes / (minSize + 1));
        var result = new CompiledRule[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule.Rule.Trim().Length == 0)
            {
                result[i] = new CompiledRule { Rule = rule };
                continue;
            }
            var ruleEnv = rule.OptionalOldSelf == true ? optionalEnv : env;
            var compiled = ruleEnv.Compile(rule.Rule);
            if (compiled.Error is not null)
            {
                result[i] = new CompiledRule { Rule = rule, Error = "compilation failed: " + compiled.Error };
                continue;
            }
            if (compiled.OutputType!.Kind != CelTypeKind.Bool)
            {
                result[i] = new CompiledRule { Rule = rule, Error = "cel expression must evaluate to a bool" };
                continue;
            }
            CelProgram? messageProgram = null;
            string? messageError = null;
            ulong messageCost = 0;
            if (rule.MessageExpression.Length > 0)
            {
                var message = ruleEnv.Compile(rule.MessageExpression);
                if (message.Error is not null)
                {
                    messageError = "messageExpression compilation failed: " + message.Error;
                }
                else if (message.OutputType!.Kind != CelTypeKind.String)
                {
                    messageError = "messageExpression must evaluate to a string";
                }
                else
                {
                    messageProgram = message.Program;
                    messageCost = CostEstimator.Estimate(message.Ast!);
                }
            }
            string? fieldPath = null;
            if (rule.FieldPath.Length > 0 && RuleFieldPath.TryParse(rule.FieldPath, s, out var parsed, out _) && parsed is not null)
            {
                fieldPath = parsed.ToString();
            }
            result[i] = new CompiledRule
            {
                Rule = rule,
                Program = compiled.Program,
                UsesOldSelf = compiled.UsesVariable("oldSelf"),
                MessageProgram = messageProgram,
                MessageError = messageError,
                MaxCost = CostEstimator.Estimate(compiled.Ast!),
                MessageMaxCost = messageCost,
                MaxCardinality = maxCardinality,
                NormalizedFieldPath = fieldPath,
            };
        }
        return result;
    }

    /// <summary>The CRD-time errors of one node's rules (ValidateCustomResourceDefinitionOpenAPISchema's CEL part).</summary>
    public static void CompileErrors(SchemaNode s, bool isResourceRoot, ulong? scopeCardinality, FieldPath path, FieldPath? uncorrelatablePath, CelSchemaContext context, List<FieldError> errors)
    {
        var compiled = Rules(s, isResourceRoot);
        for (var i = 0; i < compiled.Length; i++)
        {
            var cr = compiled[i];
            var rulePath = path.Child("x-kubernetes-validations").Index(i);
            var cardinality = scopeCardinality ?? cr.MaxCardinality;
            var cost = Multiply(cr.MaxCost, cardinality);
            if (cost > CrdSchemaValidation.StaticEstimatedCostLimit)
            {
                errors.Add(FieldError.Forbidden(rulePath.Child("rule"), CrdSchemaValidation.CostErrorMessage("estimated rule cost", cost, CrdSchemaValidation.StaticEstimatedCostLimit)));
            }
            context.Observe(rulePath.Child("rule").ToString(), cost);
            if (cr.Error is not null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, rulePath.Child("rule").ToString(), new GoStruct(RuleGoSyntax(cr.Rule)), cr.Error));
            }
            if (cr.MessageError is not null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, rulePath.Child("messageExpression").ToString(), new GoStruct(RuleGoSyntax(cr.Rule)), cr.MessageError));
            }
            else if (cr.MessageProgram is not null)
            {
                var messageCost = Multiply(cr.MessageMaxCost, cardinality);
                if (cr.MessageMaxCost > CrdSchemaValidation.StaticEstimatedCostLimit)
                {
                    errors.Add(FieldError.Forbidden(rulePath.Child("messageExpression"), CrdSchemaValidation.CostErrorMessage("estimated messageExpression cost", cr.MessageMaxCost, CrdSchemaValidation.StaticEstimatedCostLimit)));
                }
                context.Observe(rulePath.Child("messageExpression").ToString(), messageCost);
            }
            if (cr.UsesOldSelf)
            {
                if (uncorrelatablePath is not null)
                {
                    errors.Add(FieldError.Invalid(rulePath.Child("rule"), cr.Rule.Rule, "oldSelf cannot be used on the uncorrelatable portion of the schema within " + uncorrelatablePath));
                }
            }
            else if (cr.Rule.OptionalOldSelf is { } optional && cr.Error is null)
            {
                errors.Add(FieldError.Invalid(rulePath.Child("optionalOldSelf"), optional, "may not be set if oldSelf is not used in rule"));
            }
        }
    }

    private static ulong Multiply(ulong a, ulong b) => a == 0 ? 0 : b > ulong.MaxValue / a ? ulong.MaxValue : a * b;

    /// <summary>A rule as Go's %#v prints an apiextensions.ValidationRule (kube's bad value for rule errors).</summary>
    private static string RuleGoSyntax(ValidationRule r) =>
        "apiextensions.ValidationRule{Rule:" + GoText.Quote(r.Rule) + ", Message:" + GoText.Quote(r.Message) +
        ", MessageExpression:" + GoText.Quote(r.MessageExpression) +
        ", Reason:" + (r.Reason is null ? "(*apiextensions.FieldValueErrorReason)(nil)" : "(*apiextensions.FieldValueErrorReason)(0x0)") +
        ", FieldPath:" + GoText.Quote(r.FieldPath) +
        ", OptionalOldSelf:" + (r.OptionalOldSelf is null ? "(*bool)(nil)" : "(*bool)(0x0)") + "}";

    /// <summary>A value printed as given (already in Go syntax).</summary>
    private sealed class GoStruct(string text) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => text;

        public override string ToString() => text;
    }

    /// <summary>Whether any node has rules (to skip the walk when none does).</summary>
    public static bool HasRules(SchemaNode s) => s.SubtreeHasRules || HasRulesWalk(s);

    private static bool HasRulesWalk(SchemaNode s) =>
        s.XValidations is { Count: > 0 } ||
        (s.PropertyList?.Any(p => HasRulesWalk(p.Value)) ?? false) ||
        (s.Items is { } i && HasRulesWalk(i)) ||
        (s.AdditionalProperties is { } ap && HasRulesWalk(ap));

    /// <summary>Evaluates the rules of the whole tree on an object (the root's rules see it as a resource root).</summary>
    public static void Validate(SchemaNode root, JsonNode obj, JsonNode? old, List<FieldError> errors)
    {
        var budget = RuntimeCostBudget;
        ValidateNode(null, root, isResourceRoot: true, obj, old, correlatable: old is not null, ratchet: true, ref budget, errors);
    }

    private static string PathText(FieldPath? p) => p?.ToString() ?? "<nil>";

    private static FieldPath ChildOf(FieldPath? p, string name) => p is null ? FieldPath.New(name) : p.Child(name);

    private static void ValidateNode(FieldPath? path, SchemaNode s, bool isResourceRoot, JsonNode? obj, JsonNode? old, bool correlatable, bool ratchet, ref long budget, List<FieldError> errors)
    {
        if (obj is null || budget < 0)
        {
            return;
        }
        if (s.XValidations is { Count: > 0 })
        {
            ValidateExpressions(path, s, isResourceRoot, obj, old, ratchet, ref budget, errors);
            if (budget < 0)
            {
                return;
            }
        }
        switch (obj)
        {
            case JsonObject o:
            {
                var oldObject = correlatable && CrdSchemaValidation.MapIsCorrelatable(s.XMapType) ? old as JsonObject : null;
                if (s.AdditionalProperties is { } ap && ap.SubtreeHasRules)
                {
                    foreach (var (key, value) in o)
                    {
                        var oldValue = oldObject is not null && oldObject.TryGetPropertyValue(key, out var ov) ? ov : null;
                        ValidateNode(path is null ? FieldPath.New(key) : path.Key(key), ap, ap.XEmbeddedResource, value, oldValue, oldObject is not null, ratchet, ref budget, errors);
                        if (budget < 0)
                        {
                            return;
                        }
                    }
                }
                if (s.Properties is { } props)
                {
                    foreach (var (key, value) in o)
                    {
                        if (!props.TryGetValue(key, out var prop) || !prop.SubtreeHasRules)
                        {
                            continue;
                        }
                        var oldValue = oldObject is not null && oldObject.TryGetPropertyValue(key, out var ov) ? ov : null;
                        ValidateNode(ChildOf(path, key), prop, prop.XEmbeddedResource, value, oldValue, oldObject is not null, ratchet, ref budget, errors);
                        if (budget < 0)
                        {
                            return;
                        }
                    }
                }
                break;
            }
            case JsonArray a when s.Items is { } items && items.SubtreeHasRules:
            {
                // Only map lists correlate old items with new ones (by their keys).
                var oldArray = correlatable && s.XListType == "map" ? old as JsonArray : null;
                for (var i = 0; i < a.Count; i++)
                {
                    var oldItem = oldArray is null ? null : FindByKeys(oldArray, a[i], s.XListMapKeys);
                    ValidateNode(path is null ? FieldPath.New("").Index(i) : path.Index(i), items, items.XEmbeddedResource, a[i], oldItem, oldItem is not null, ratchet, ref budget, errors);
                    if (budget < 0)
                    {
                        return;
                    }
                }
                break;
            }
        }
    }

    private static JsonNode? FindByKeys(JsonArray oldArray, JsonNode? item, List<string>? keys)
    {
        if (item is not JsonObject o || keys is not { Count: > 0 })
        {
            return null;
        }
        foreach (var candidate in oldArray)
        {
            if (candidate is not JsonObject c)
            {
                continue;
            }
            var same = true;
            foreach (var k in keys)
            {
                var hasNew = o.TryGetPropertyValue(k, out var nv);
                var hasOld = c.TryGetPropertyValue(k, out var ov);
                if (hasNew != hasOld || (hasNew && !JsonEquality.DeepEquals(nv, ov)))
                {
                    same = false;
                    break;
                }
            }
            if (same)
            {
                return c;
            }
        }
        return null;
    }

    private static void ValidateExpressions(FieldPath? path, SchemaNode s, bool isResourceRoot, JsonNode obj, JsonNode? old, bool ratchet, ref long budget, List<FieldError> errors)
    {
        var rules = Rules(s, isResourceRoot);
        if (rules.Length == 0)
        {
            return;
        }
        var typeName = s.Type;
        if (budget <= 0)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, PathText(path), typeName, "validation failed due to running out of cost budget, no further validation rules will be run"));
            budget = -1;
            return;
        }
        object? self = null;
        object? oldSelf = null;
        var unchanged = ratchet && old is not null && JsonEquality.DeepEquals(obj, old);
        foreach (var cr in rules)
        {
            var rule = cr.Rule;
            if (cr.Error is not null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, PathText(path), typeName, "rule compile error: " + cr.Error));
                continue;
            }
            if (cr.Program is null)
            {
                continue;
            }
            var optionalOldSelf = rule.OptionalOldSelf == true;
            if (cr.UsesOldSelf && old is null && !optionalOldSelf)
            {
                continue;
            }
            self ??= JsonCelValues.ToCel(obj, s, isResourceRoot);
            if (old is not null)
            {
                oldSelf ??= JsonCelValues.ToCel(old, s, isResourceRoot);
            }
            object? oldArg = optionalOldSelf ? (oldSelf is null ? CelOptional.None : CelOptional.Of(oldSelf)) : oldSelf;
            CelEvalResult result;
            try
            {
                result = cr.Program.Evaluate([self, oldArg], Math.Min(PerCallLimit, budget));
            }
            catch (CelCostLimitException)
            {
                if (budget < PerCallLimit)
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, PathText(path), typeName, "validation failed due to running out of cost budget, no further validation rules will be run"));
                }
                else
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, PathText(path), typeName,
                        $"'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: {RuleErrorString(rule)}"));
                }
                budget = -1;
                return;
            }
            budget -= result.Cost;
            if (result.Value is CelError error)
            {
                if (error.Message.StartsWith("no such overload", StringComparison.Ordinal))
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, PathText(path), typeName,
                        $"'{error.Message}': call arguments did not match a supported operator, function or macro signature for rule: {RuleErrorString(rule)}"));
                }
                else
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, PathText(path), typeName, $"{error.Message} evaluating rule: {RuleErrorString(rule)}"));
                }
                continue;
            }
            if (result.Value is true)
            {
                continue;
            }
            // Ratcheting: a value that did not change keeps passing rules that do not look at oldSelf.
            if (!cr.UsesOldSelf && unchanged)
            {
                continue;
            }
            var fieldPath = cr.NormalizedFieldPath is { } fp ? (path is null ? fp : path + "." + fp) : PathText(path);
            string? detail = null;
            if (cr.MessageProgram is not null)
            {
                try
                {
                    var message = cr.MessageProgram.Evaluate([self, oldArg], Math.Min(PerCallLimit, Math.Max(0, budget)));
                    budget -= message.Cost;
                    if (message.Value is string m && m.Trim() is var trimmed && trimmed.Length > 0 && Encoding.UTF8.GetByteCount(trimmed) <= MaxMessageExpressionBytes && !trimmed.Contains('\n', StringComparison.Ordinal))
                    {
                        detail = trimmed;
                    }
                }
                catch (CelCostLimitException)
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, fieldPath, typeName, "messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run"));
                    budget = -1;
                    return;
                }
            }
            detail ??= rule.Message.Length == 0 ? "failed rule: " + RuleErrorString(rule) : rule.Message.Trim();
            object value = typeName is "object" or "array" ? FieldError.OmitValue : OpenApiError.ToClr(obj) ?? "";
            errors.Add(rule.Reason switch
            {
                "FieldValueForbidden" => new FieldError(FieldErrorType.Forbidden, fieldPath, "", detail),
                "FieldValueRequired" => new FieldError(FieldErrorType.Required, fieldPath, "", detail),
                "FieldValueDuplicate" => new FieldError(FieldErrorType.Duplicate, fieldPath, value, ""),
                _ => new FieldError(FieldErrorType.Invalid, fieldPath, value, detail),
            });
        }
    }

    private static string RuleErrorString(ValidationRule rule) => rule.Message.Length > 0 ? rule.Message.Trim() : rule.Rule.Trim();

    // CRD time: a default must pass the rules of its own subtree (with oldSelf = the default, and without).
    private static void ValidateDefault(SchemaNode s, bool isResourceRoot, JsonNode value, FieldPath path, List<FieldError> errors)
    {
        if (!HasRulesWalk(s))
        {
            return;
        }
        s.ComputeSubtreeFacts();
        var found = new List<FieldError>();
        var budget = RuntimeCostBudget;
        ValidateDefaultNode(path, s, isResourceRoot, value, value, ref budget, found);
        errors.AddRange(found);
        if (found.Count == 0)
        {
            budget = RuntimeCostBudget;
            ValidateDefaultNode(path, s, isResourceRoot, value, null, ref budget, errors);
        }
    }

    private static void ValidateDefaultNode(FieldPath path, SchemaNode s, bool isResourceRoot, JsonNode value, JsonNode? old, ref long budget, List<FieldError> errors) =>
        ValidateNode(path, s, isResourceRoot, value, old, correlatable: old is not null, ratchet: false, ref budget, errors);
}
