namespace ApiExtensions.Cel;

/// <summary>
/// CEL's type checker: gives every node a type, resolves each call to the overloads it may take, and reports
/// cel-go's errors (undeclared references, undefined fields, no matching overload, heterogeneous literals).
/// </summary>
internal sealed class Checker
{
    private static readonly Dictionary<string, CelType> TypeNames = new(StringComparer.Ordinal)
    {
        ["int"] = CelType.Int,
        ["uint"] = CelType.Uint,
        ["double"] = CelType.Double,
        ["bool"] = CelType.Bool,
        ["string"] = CelType.String,
        ["bytes"] = CelType.Bytes,
        ["list"] = CelType.ListOfDyn,
        ["map"] = CelType.MapOfDyn,
        ["null_type"] = CelType.Null,
        ["type"] = CelType.TypeOfDyn,
        ["dyn"] = CelType.Dyn,
        ["google.protobuf.Duration"] = CelType.Duration,
        ["google.protobuf.Timestamp"] = CelType.Timestamp,
    };

    private readonly CelEnvironment _env;
    private readonly List<CelIssue> _issues = [];
    private readonly List<(string Name, CelType Type)> _scope = [];

    private readonly bool _dynamicOnly;

    /// <param name="dynamicOnly">Skip type checking (cel-go's disable_check): every node is dyn, calls keep every
    /// overload of their name and arity for run-time dispatch, unknown names fail at run time.</param>
    public Checker(CelEnvironment env, bool dynamicOnly = false)
    {
        _env = env;
        _dynamicOnly = dynamicOnly;
    }

    public List<CelIssue> Issues => _issues;

    public bool UsesVariable(string name) => _usedVariables.Contains(name);

    private readonly HashSet<string> _usedVariables = new(StringComparer.Ordinal);

    public CelType Check(Expr e)
    {
        var t = CheckNode(e);
        if (_dynamicOnly)
        {
            t = CelType.Dyn;
        }
        e.Type = t;
        return t;
    }

    private void Error(Expr at, string message)
    {
        if (!_dynamicOnly)
        {
            _issues.Add(new CelIssue(at.Offset, message));
        }
    }

    private CelType CheckNode(Expr e)
    {
        switch (e)
        {
            case ConstExpr c:
                return c.Value switch
                {
                    long => CelType.Int,
                    ulong => CelType.Uint,
                    double => CelType.Double,
                    string => CelType.String,
                    bool => CelType.Bool,
                    CelBytes => CelType.Bytes,
                    _ => CelType.Null,
                };
            case IdentExpr id:
                return CheckIdent(id);
            case SelectExpr sel:
                return CheckSelect(sel);
            case CallExpr call:
                return CheckCall(call);
            case ListExpr list:
                return CheckList(list);
            case MapExpr map:
                return CheckMap(map);
            case ComprehensionExpr comp:
                return CheckComprehension(comp);
            case BindExpr bind:
            {
                var initType = Check(bind.Init);
                _scope.Add((bind.Name, initType));
                var bodyType = Check(bind.Body);
                _scope.RemoveAt(_scope.Count - 1);
                return bodyType;
            }
            case StructExpr s:
                Error(s, $"undeclared reference to '{s.TypeName}' (in container '')");
                return CelType.Error;
            default:
                return CelType.Dyn;
        }
    }

    private CelType CheckIdent(IdentExpr id)
    {
        var name = id.Name.TrimStart('.');
        for (var i = _scope.Count - 1; i >= 0; i--)
        {
            if (_scope[i].Name == name)
            {
                return _scope[i].Type;
            }
        }
        if (_env.Variables.TryGetValue(name, out var v))
        {
            _usedVariables.Add(name);
            return v.Type;
        }
        if (TypeNames.TryGetValue(name, out var t))
        {
            return CelType.TypeOf(t);
        }
        Error(id, $"undeclared reference to '{name}' (in container '')");
        return CelType.Error;
    }

    // A dotted name (a.b.c) that is no variable may name a type (google.protobuf.Duration).
    private static string? QualifiedName(Expr e) => e switch
    {
        IdentExpr id => id.Name.TrimStart('.'),
        SelectExpr { TestOnly: false, Optional: false } s when QualifiedName(s.Operand) is { } q => q + "." + s.Field,
        _ => null,
    };

    private bool IsVariableRooted(Expr e) => e switch
    {
        IdentExpr id => _scope.Any(s => s.Name == id.Name.TrimStart('.')) || _env.Variables.ContainsKey(id.Name.TrimStart('.')),
        SelectExpr s => IsVariableRooted(s.Operand),
        _ => true,
    };

    private CelType CheckSelect(SelectExpr sel)
    {
        if (!sel.TestOnly && !IsVariableRooted(sel) && QualifiedName(sel) is { } qualified && TypeNames.TryGetValue(qualified, out var named))
        {
            sel.Operand.Type = CelType.Dyn;
            return CelType.TypeOf(named);
        }
        var operand = Check(sel.Operand);
        CelType fieldType;
        var optionalOperand = false;
        if (operand.Kind == CelTypeKind.Optional && sel.Optional)
        {
            operand = operand.Parameters[0];
            optionalOperand = true;
        }
        switch (operand.Kind)
        {
            case CelTypeKind.Object:
                if (!operand.Object!.Fields.TryGetValue(sel.Field, out fieldType!))
                {
                    Error(sel, $"undefined field '{sel.Field}'");
                    return CelType.Error;
                }
                break;
            case CelTypeKind.Map:
                if (!operand.Key.IsDyn && operand.Key.Kind != CelTypeKind.String && operand.Key.Kind != CelTypeKind.TypeParam)
                {
                    Error(sel, $"type '{operand}' does not support field selection");
                    return CelType.Error;
                }
                fieldType = operand.Value;
                break;
            case CelTypeKind.Dyn:
            case CelTypeKind.Error:
            case CelTypeKind.TypeParam:
                fieldType = CelType.Dyn;
                break;
            default:
                Error(sel, $"type '{operand}' does not support field selection");
                return CelType.Error;
        }
        if (sel.TestOnly)
        {
            return CelType.Bool;
        }
        if (sel.Optional || optionalOperand)
        {
            return CelType.Optional(fieldType);
        }
        return fieldType;
    }

    private CelType CheckList(ListExpr list)
    {
        CelType? elem = null;
        for (var i = 0; i < list.Elements.Count; i++)
        {
            var t = Check(list.Elements[i]);
            if (list.OptionalIndices.Contains(i))
            {
                if (t.Kind == CelTypeKind.Optional)
                {
                    t = t.Parameters[0];
                }
                else if (!t.IsDyn && t.Kind != CelTypeKind.Error)
                {
                    Error(list.Elements[i], $"expected type 'optional_type' but found '{t}'");
                }
            }
            elem = JoinLiteral(elem, t, list.Elements[i]);
        }
        return CelType.List(elem ?? CelType.Dyn);
    }

    private CelType CheckMap(MapExpr map)
    {
        CelType? key = null;
        CelType? value = null;
        foreach (var entry in map.Entries)
        {
            var k = Check(entry.Key);
            if (k.Kind is not (CelTypeKind.Int or CelTypeKind.Uint or CelTypeKind.Bool or CelTypeKind.String or CelTypeKind.Dyn or CelTypeKind.Error or CelTypeKind.TypeParam))
            {
                Error(entry.Key, $"unsupported map key type: {k}");
            }
            var v = Check(entry.Value);
            if (entry.Optional && v.Kind == CelTypeKind.Optional)
            {
                v = v.Parameters[0];
            }
            key = JoinLiteral(key, k, entry.Key);
            value = JoinLiteral(value, v, entry.Value);
        }
        return CelType.Map(key ?? CelType.Dyn, value ?? CelType.Dyn);
    }

    // Kubernetes requires homogeneous aggregate literals.
    private CelType JoinLiteral(CelType? current, CelType next, Expr at)
    {
        if (current is null || current.Kind == CelTypeKind.Error)
        {
            return next;
        }
        if (current.IsDyn && !_env.HomogeneousLiterals)
        {
            return current;
        }
        if (next.Kind == CelTypeKind.Error || Assignable(current, next, new Dictionary<string, CelType>()) && Assignable(next, current, new Dictionary<string, CelType>()))
        {
            return current.IsDyn ? next : current;
        }
        if (!_env.HomogeneousLiterals)
        {
            return CelType.Dyn;
        }
        Error(at, $"expected type '{current}' but found '{next}'");
        return current;
    }

    private CelType CheckComprehension(ComprehensionExpr comp)
    {
        var range = Check(comp.Range);
        CelType var1;
        CelType? var2 = null;
        var twoVars = comp.IterVar2 is not null;
        switch (range.Kind)
        {
            case CelTypeKind.List:
                var1 = twoVars ? CelType.Int : range.Elem;
                var2 = twoVars ? range.Elem : null;
                break;
            case CelTypeKind.Map:
                var1 = range.Key;
                var2 = twoVars ? range.Value : null;
                break;
            case CelTypeKind.Dyn:
            case CelTypeKind.Error:
                var1 = CelType.Dyn;
                var2 = twoVars ? CelType.Dyn : null;
                break;
            default:
                Error(comp.Range, $"expression of type '{range}' cannot be range of a comprehension (must be list, map, or dynamic)");
                var1 = CelType.Dyn;
                var2 = twoVars ? CelType.Dyn : null;
                break;
        }
        if (comp.Kind is ComprehensionKind.TransformMap or ComprehensionKind.TransformMapFilter or ComprehensionKind.TransformMapEntry or ComprehensionKind.TransformMapEntryFilter
            && range.Kind == CelTypeKind.List)
        {
            // transformMap over a list gives a map from index to value.
        }
        _scope.Add((comp.IterVar, var1));
        if (comp.IterVar2 is not null)
        {
            _scope.Add((comp.IterVar2, var2!));
        }
        CelType? filterType = null;
        if (comp.Filter is not null)
        {
            filterType = Check(comp.Filter);
        }
        var stepType = Check(comp.Step);
        _scope.RemoveAt(_scope.Count - 1);
        if (comp.IterVar2 is not null)
        {
            _scope.RemoveAt(_scope.Count - 1);
        }
        if (filterType is not null)
        {
            RequireBool(filterType, comp.Filter!, "_?_:_");
        }
        switch (comp.Kind)
        {
            case ComprehensionKind.All:
            case ComprehensionKind.Exists:
                RequireBool(stepType, comp.Step, comp.Kind == ComprehensionKind.All ? "_&&_" : "_||_");
                return CelType.Bool;
            case ComprehensionKind.ExistsOne:
                RequireBool(stepType, comp.Step, "_?_:_");
                return CelType.Bool;
            case ComprehensionKind.Filter:
                RequireBool(stepType, comp.Step, "_?_:_");
                return CelType.List(var1);
            case ComprehensionKind.Map:
            case ComprehensionKind.MapFilter:
            case ComprehensionKind.TransformList:
            case ComprehensionKind.TransformListFilter:
                return CelType.List(stepType);
            case ComprehensionKind.TransformMap:
            case ComprehensionKind.TransformMapFilter:
                return CelType.Map(range.Kind == CelTypeKind.List ? CelType.Int : var1, stepType);
            default:
                if (stepType.Kind == CelTypeKind.Map)
                {
                    return stepType;
                }
                if (!stepType.IsDyn && stepType.Kind != CelTypeKind.Error)
                {
                    Error(comp.Step, $"found no matching overload for 'transformMapEntry' applied to '({stepType})'");
                }
                return CelType.MapOfDyn;
        }
    }

    private void RequireBool(CelType t, Expr at, string op)
    {
        if (t.Kind is not (CelTypeKind.Bool or CelTypeKind.Dyn or CelTypeKind.Error or CelTypeKind.TypeParam))
        {
            Error(at, $"found no matching overload for '{op}' applied to '(bool, {t})'");
        }
    }

    private CelType CheckCall(CallExpr call)
    {
        switch (call.Function)
        {
            case "_&&_":
            case "_||_":
            {
                var l = Check(call.Args[0]);
                var r = Check(call.Args[1]);
                if (!IsBoolish(l) || !IsBoolish(r))
                {
                    Error(call, $"found no matching overload for '{call.Function}' applied to '({l}, {r})'");
                }
                return CelType.Bool;
            }
            case "_?_:_":
            {
                var c = Check(call.Args[0]);
                var t = Check(call.Args[1]);
                var f = Check(call.Args[2]);
                if (!IsBoolish(c))
                {
                    Error(call, $"found no matching overload for '_?_:_' applied to '({c}, {t}, {f})'");
                    return CelType.Error;
                }
                if (t.Kind == CelTypeKind.Error || f.Kind == CelTypeKind.Error)
                {
                    return CelType.Error;
                }
                if (Assignable(t, f, new Dictionary<string, CelType>()))
                {
                    return t.IsDyn ? f : t;
                }
                if (Assignable(f, t, new Dictionary<string, CelType>()))
                {
                    return f;
                }
                Error(call, $"found no matching overload for '_?_:_' applied to '({c}, {t}, {f})'");
                return CelType.Error;
            }
        }

        // A call on a name that is no variable (sets.contains, optional.of, strings.quote) is a namespaced global.
        var function = call.Function;
        var member = call.Target is not null;
        if (call.Target is not null && !IsVariableRooted(call.Target) && QualifiedName(call.Target) is { } ns && _env.Functions.Has(ns + "." + call.Function))
        {
            function = ns + "." + call.Function;
            member = false;
            call.Namespaced = function;
        }
        var argExprs = new List<Expr>();
        if (member)
        {
            argExprs.Add(call.Target!);
        }
        argExprs.AddRange(call.Args);
        var argTypes = argExprs.Select(Check).ToArray();
        if (argTypes.Any(t => t.Kind == CelTypeKind.Error))
        {
            return CelType.Error;
        }
        var candidates = _env.Functions.Find(function);
        if (candidates is null)
        {
            Error(call, $"undeclared reference to '{function}' (in container '')");
            return CelType.Error;
        }
        var matched = new List<Overload>();
        CelType? result = null;
        var resultsAgree = true;
        var lenientNull = function is "_==_" or "_!=_";
        foreach (var o in candidates)
        {
            if (o.Member != member || o.Parameters.Length != argTypes.Length)
            {
                continue;
            }
            var bindings = new Dictionary<string, CelType>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < argTypes.Length && ok && !_dynamicOnly; i++)
            {
                ok = Assignable(o.Parameters[i], argTypes[i], bindings) || (lenientNull && (argTypes[i].Kind == CelTypeKind.Null || argTypes[0].Kind == CelTypeKind.Null));
            }
            if (!ok)
            {
                continue;
            }
            matched.Add(o);
            var r = Substitute(o.Result, bindings);
            if (result is null)
            {
                result = r;
            }
            else if (!result.SameAs(r))
            {
                resultsAgree = false;
            }
        }
        if (matched.Count == 0)
        {
            var shown = member
                ? $"{argTypes[0]}.({string.Join(", ", argTypes.Skip(1))})"
                : $"({string.Join(", ", (IEnumerable<CelType>)argTypes)})";
            Error(call, $"found no matching overload for '{function}' applied to '{shown}'");
            return CelType.Error;
        }
        call.Overloads = matched;
        call.StaticallyTyped = !_dynamicOnly && matched.Count == 1 && argTypes.All(t => t.Kind is not (CelTypeKind.Dyn or CelTypeKind.TypeParam) && !ContainsDyn(t));
        return resultsAgree ? result! : CelType.Dyn;
    }

    private static bool ContainsDyn(CelType t) => t.IsDyn || t.Parameters.Any(ContainsDyn);

    private static bool IsBoolish(CelType t) => t.Kind is CelTypeKind.Bool or CelTypeKind.Dyn or CelTypeKind.Error or CelTypeKind.TypeParam;

    internal static bool Assignable(CelType param, CelType arg, Dictionary<string, CelType> bindings)
    {
        if (param.IsDyn || arg.Kind == CelTypeKind.Error)
        {
            return true;
        }
        if (param.Kind == CelTypeKind.TypeParam)
        {
            if (bindings.TryGetValue(param.Name, out var bound))
            {
                if (bound.IsDyn || arg.IsDyn)
                {
                    return true;
                }
                if (Assignable(bound, arg, bindings))
                {
                    return true;
                }
                // A more general binding (list(dyn) vs list(int)) widens to the argument's type.
                if (Assignable(arg, bound, bindings))
                {
                    bindings[param.Name] = arg;
                    return true;
                }
                return false;
            }
            bindings[param.Name] = arg;
            return true;
        }
        if (arg.IsDyn || arg.Kind == CelTypeKind.TypeParam)
        {
            return true;
        }
        if (param.Kind != arg.Kind)
        {
            return false;
        }
        switch (param.Kind)
        {
            case CelTypeKind.Type:
                // Type values compare across types (type(1) == type(1u) is false, not an error).
                return true;
            case CelTypeKind.List:
            case CelTypeKind.Optional:
                return param.Parameters.Count == 0 || arg.Parameters.Count == 0 || Assignable(param.Parameters[0], arg.Parameters[0], bindings);
            case CelTypeKind.Map:
                return Assignable(param.Key, arg.Key, bindings) && Assignable(param.Value, arg.Value, bindings);
            case CelTypeKind.Object:
                return ReferenceEquals(param.Object, arg.Object) || param.Object!.Name == arg.Object!.Name;
            case CelTypeKind.Opaque:
                if (param.Name != arg.Name || param.Parameters.Count != arg.Parameters.Count)
                {
                    return false;
                }
                for (var i = 0; i < param.Parameters.Count; i++)
                {
                    if (!Assignable(param.Parameters[i], arg.Parameters[i], bindings))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }

    internal static CelType Substitute(CelType t, Dictionary<string, CelType> bindings)
    {
        switch (t.Kind)
        {
            case CelTypeKind.TypeParam:
                return bindings.TryGetValue(t.Name, out var b) ? b : CelType.Dyn;
            case CelTypeKind.List:
                return CelType.List(Substitute(t.Elem, bindings));
            case CelTypeKind.Map:
                return CelType.Map(Substitute(t.Key, bindings), Substitute(t.Value, bindings));
            case CelTypeKind.Optional:
                return CelType.Optional(Substitute(t.Parameters[0], bindings));
            case CelTypeKind.Type:
                return t.Parameters.Count == 0 ? t : CelType.TypeOf(Substitute(t.Parameters[0], bindings));
            case CelTypeKind.Opaque when t.Parameters.Count > 0:
                return CelType.Opaque(t.Name, t.Parameters.Select(p => Substitute(p, bindings)).ToArray());
            default:
                return t;
        }
    }
}
