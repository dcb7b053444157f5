namespace ApiExtensions.Cel;

/// <summary>One evaluation's state: variable slots and the cost spent so far against its limit.</summary>
internal sealed class EvalContext(object?[] slots, long costLimit)
{
    public object?[] Slots { get; } = slots;

    public long Cost;

    public long CostLimit { get; } = costLimit;

    public void Charge(long cost)
    {
        Cost += cost;
        if (Cost > CostLimit)
        {
            throw new CelCostLimitException();
        }
    }
}

/// <summary>The evaluation was stopped because it spent more than its cost limit.</summary>
public sealed class CelCostLimitException : Exception
{
    public CelCostLimitException()
        : base("operation cancelled: actual cost limit exceeded")
    {
    }
}

internal delegate object Eval(EvalContext ctx);

/// <summary>
/// Turns a checked expression into a tree of closures, each evaluating one node: calls bound to their overload
/// when the checker resolved one, comprehension macros as plain loops, errors as values.
/// </summary>
internal sealed class Interpreter
{
    private readonly CelEnvironment _env;
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly List<(string Name, int Slot)> _locals = [];
    private int _nextSlot;

    public Interpreter(CelEnvironment env)
    {
        _env = env;
        foreach (var (name, decl) in env.Variables)
        {
            _slots[name] = decl.Slot;
        }
        _nextSlot = env.Variables.Count;
    }

    public int SlotCount => _nextSlot;

    public Eval Compile(Expr e)
    {
        switch (e)
        {
            case ConstExpr c:
            {
                var value = c.Value;
                return _ => value;
            }
            case IdentExpr id:
                return CompileIdent(id);
            case SelectExpr sel:
                return CompileSelect(sel);
            case CallExpr call:
                return CompileCall(call);
            case ListExpr list:
                return CompileList(list);
            case MapExpr map:
                return CompileMap(map);
            case ComprehensionExpr comp:
                return CompileComprehension(comp);
            case BindExpr bind:
            {
                var init = Compile(bind.Init);
                var slot = PushLocal(bind.Name);
                var body = Compile(bind.Body);
                PopLocal();
                return ctx =>
                {
                    ctx.Slots[slot] = init(ctx);
                    return body(ctx);
                };
            }
            default:
                return _ => new CelError("unsupported expression");
        }
    }

    private int PushLocal(string name)
    {
        var slot = _nextSlot++;
        _locals.Add((name, slot));
        return slot;
    }

    private void PopLocal() => _locals.RemoveAt(_locals.Count - 1);

    private Eval CompileIdent(IdentExpr id)
    {
        var name = id.Name.TrimStart('.');
        for (var i = _locals.Count - 1; i >= 0; i--)
        {
            if (_locals[i].Name == name)
            {
                var local = _locals[i].Slot;
                return ctx => ctx.Slots[local]!;
            }
        }
        if (_slots.TryGetValue(name, out var slot))
        {
            return ctx =>
            {
                ctx.Charge(1);
                return ctx.Slots[slot] ?? new CelError($"no such attribute: {name}");
            };
        }
        if (id.Type.Kind == CelTypeKind.Type && id.Type.Parameters.Count > 0)
        {
            var typeValue = new CelTypeValue(id.Type.Parameters[0].RuntimeName);
            return _ => typeValue;
        }
        return _ => new CelError($"undeclared reference to '{name}'");
    }

    private Eval CompileSelect(SelectExpr sel)
    {
        if (sel.Type.Kind == CelTypeKind.Type && sel.Operand.Type.IsDyn && !sel.TestOnly && sel.Type.Parameters.Count > 0)
        {
            var typeValue = new CelTypeValue(sel.Type.Parameters[0].RuntimeName);
            return _ => typeValue;
        }
        var operand = Compile(sel.Operand);
        var field = sel.Field;
        if (sel.TestOnly)
        {
            return ctx =>
            {
                var o = operand(ctx);
                ctx.Charge(1);
                return o switch
                {
                    ICelMap m => m.TryGet(field, out _),
                    CelError => o,
                    _ => new CelError($"invalid type for field selection."),
                };
            };
        }
        if (sel.Optional)
        {
            return ctx =>
            {
                var o = operand(ctx);
                ctx.Charge(1);
                if (o is CelOptional opt)
                {
                    if (!opt.HasValue)
                    {
                        return CelOptional.None;
                    }
                    o = opt.Value!;
                }
                return o switch
                {
                    ICelMap m => m.TryGet(field, out var v) ? CelOptional.Of(v) : CelOptional.None,
                    CelError => o,
                    _ => new CelError("no such overload: _?._"),
                };
            };
        }
        return ctx =>
        {
            var o = operand(ctx);
            ctx.Charge(1);
            return o switch
            {
                ICelMap m => m.TryGet(field, out var v) ? v : CelError.NoSuchKey(field),
                CelError => o,
                CelOptional opt => opt.HasValue && opt.Value is ICelMap om ? (om.TryGet(field, out var ov) ? CelOptional.Of(ov) : CelOptional.None) : CelOptional.None,
                _ => new CelError($"type '{CelEquality.TypeName(o)}' does not support field selection"),
            };
        };
    }

    private Eval CompileList(ListExpr list)
    {
        var elems = list.Elements.Select(Compile).ToArray();
        var optional = list.OptionalIndices.ToHashSet();
        if (elems.Length == 0)
        {
            return ctx =>
            {
                ctx.Charge(10);
                return CelList.Empty;
            };
        }
        return ctx =>
        {
            ctx.Charge(10);
            var items = new List<object>(elems.Length);
            for (var i = 0; i < elems.Length; i++)
            {
                var v = elems[i](ctx);
                if (v is CelError)
                {
                    return v;
                }
                if (optional.Count > 0 && optional.Contains(i))
                {
                    if (v is CelOptional opt)
                    {
                        if (opt.HasValue)
                        {
                            items.Add(opt.Value!);
                        }
                        continue;
                    }
                }
                items.Add(v);
            }
            return new CelList(items.ToArray());
        };
    }

    private Eval CompileMap(MapExpr map)
    {
        var entries = map.Entries.Select(en => (Key: Compile(en.Key), Value: Compile(en.Value), en.Optional)).ToArray();
        return ctx =>
        {
            ctx.Charge(30);
            var dict = new Dictionary<object, object>(entries.Length, CelKeyComparer.Instance);
            foreach (var (keyEval, valueEval, optional) in entries)
            {
                var k = keyEval(ctx);
                if (k is CelError)
                {
                    return k;
                }
                if (k is not (long or ulong or string or bool))
                {
                    return new CelError($"unsupported key type: {CelEquality.TypeName(k)}");
                }
                var v = valueEval(ctx);
                if (v is CelError)
                {
                    return v;
                }
                if (optional)
                {
                    if (v is not CelOptional opt)
                    {
                        return new CelError("no such overload");
                    }
                    if (!opt.HasValue)
                    {
                        continue;
                    }
                    v = opt.Value!;
                }
                if (!dict.TryAdd(k, v))
                {
                    return new CelError($"Failed with repeated key: {CelFormat.Display(k)}");
                }
            }
            return new CelMap(dict);
        };
    }

    private Eval CompileCall(CallExpr call)
    {
        switch (call.Function)
        {
            case "_&&_":
            {
                var l = Compile(call.Args[0]);
                var r = Compile(call.Args[1]);
                return ctx =>
                {
                    var a = l(ctx);
                    if (a is false)
                    {
                        return false;
                    }
                    var b = r(ctx);
                    if (b is false)
                    {
                        return false;
                    }
                    if (a is true && b is true)
                    {
                        return true;
                    }
                    if (a is CelError)
                    {
                        return a;
                    }
                    return b is CelError ? b : CelError.NoSuchOverload("_&&_");
                };
            }
            case "_||_":
            {
                var l = Compile(call.Args[0]);
                var r = Compile(call.Args[1]);
                return ctx =>
                {
                    var a = l(ctx);
                    if (a is true)
                    {
                        return true;
                    }
                    var b = r(ctx);
                    if (b is true)
                    {
                        return true;
                    }
                    if (a is false && b is false)
                    {
                        return false;
                    }
                    if (a is CelError)
                    {
                        return a;
                    }
                    return b is CelError ? b : CelError.NoSuchOverload("_||_");
                };
            }
            case "_?_:_":
            {
                var c = Compile(call.Args[0]);
                var t = Compile(call.Args[1]);
                var f = Compile(call.Args[2]);
                return ctx => c(ctx) switch
                {
                    true => t(ctx),
                    false => f(ctx),
                    CelError err => err,
                    _ => CelError.NoSuchOverload("_?_:_"),
                };
            }
        }

        var function = call.Namespaced ?? call.Function;
        var member = call.Target is not null && call.Namespaced is null;
        var argExprs = new List<Expr>();
        if (member)
        {
            argExprs.Add(call.Target!);
        }
        argExprs.AddRange(call.Args);
        var args = argExprs.Select(Compile).ToArray();
        var overloads = call.Overloads ?? [];
        if (overloads.Count == 0)
        {
            return _ => CelError.NoSuchOverload(function);
        }
        var trusted = call.StaticallyTyped;
        var single = overloads.Count == 1 ? overloads[0] : null;

        if (single is not null && trusted && args.Length == 2 && single.F2 is { } f2 && single.Cost is null)
        {
            var a0 = args[0];
            var a1 = args[1];
            return ctx =>
            {
                var x = a0(ctx);
                if (x is CelError)
                {
                    return x;
                }
                var y = a1(ctx);
                if (y is CelError)
                {
                    return y;
                }
                ctx.Charge(1);
                return f2(x, y);
            };
        }
        if (single is not null && trusted && args.Length == 1 && single.F1 is { } f1 && single.Cost is null)
        {
            var a0 = args[0];
            return ctx =>
            {
                var x = a0(ctx);
                if (x is CelError)
                {
                    return x;
                }
                ctx.Charge(1);
                return f1(x);
            };
        }

        return ctx =>
        {
            var values = new object[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                var v = args[i](ctx);
                if (v is CelError)
                {
                    return v;
                }
                values[i] = v;
            }
            Overload? chosen = null;
            if (single is not null && (trusted || single.Accepts(values)))
            {
                chosen = single;
            }
            else
            {
                foreach (var o in overloads)
                {
                    if (o.Accepts(values))
                    {
                        chosen = o;
                        break;
                    }
                }
            }
            if (chosen is null)
            {
                return CelError.NoSuchOverload(function);
            }
            ctx.Charge(1 + (chosen.Cost?.Invoke(values) ?? 0));
            return chosen.Invoke(values);
        };
    }

    private Eval CompileComprehension(ComprehensionExpr comp)
    {
        var range = Compile(comp.Range);
        var slot1 = PushLocal(comp.IterVar);
        var slot2 = comp.IterVar2 is null ? -1 : PushLocal(comp.IterVar2);
        var step = Compile(comp.Step);
        var filter = comp.Filter is null ? null : Compile(comp.Filter);
        if (comp.IterVar2 is not null)
        {
            PopLocal();
        }
        PopLocal();
        var kind = comp.Kind;
        var twoVars = slot2 >= 0;

        return ctx =>
        {
            var r = range(ctx);
            if (r is CelError)
            {
                return r;
            }
            IReadOnlyList<(object First, object Second)> items;
            switch (r)
            {
                case ICelList list:
                {
                    var arr = new (object, object)[list.Count];
                    for (var i = 0; i < arr.Length; i++)
                    {
                        arr[i] = twoVars ? ((long)i, list.Get(i)) : (list.Get(i), null!);
                    }
                    items = arr;
                    break;
                }
                case ICelMap map:
                {
                    var arr = new List<(object, object)>(map.Count);
                    foreach (var key in map.Keys)
                    {
                        map.TryGet(key, out var v);
                        arr.Add((key, v));
                    }
                    items = arr;
                    break;
                }
                default:
                    return new CelError("expression of type '" + CelEquality.TypeName(r) + "' cannot be range of a comprehension (must be list, map, or dynamic)");
            }
            var isList = r is ICelList;

            switch (kind)
            {
                case ComprehensionKind.All:
                case ComprehensionKind.Exists:
                {
                    var stopOn = kind == ComprehensionKind.Exists;
                    object? error = null;
                    foreach (var (first, second) in items)
                    {
                        ctx.Charge(1);
                        Bind(ctx, first, second);
                        var v = step(ctx);
                        if (v is bool b)
                        {
                            if (b == stopOn)
                            {
                                return stopOn;
                            }
                        }
                        else
                        {
                            error ??= v is CelError ? v : CelError.NoSuchOverload(stopOn ? "_||_" : "_&&_");
                        }
                    }
                    return error ?? !stopOn;
                }
                case ComprehensionKind.ExistsOne:
                {
                    var count = 0;
                    foreach (var (first, second) in items)
                    {
                        ctx.Charge(1);
                        Bind(ctx, first, second);
                        var v = step(ctx);
                        if (v is CelError)
                        {
                            return v;
                        }
                        if (v is not bool b)
                        {
                            return CelError.NoSuchOverload("_?_:_");
                        }
                        if (b)
                        {
                            count++;
                        }
                    }
                    return count == 1;
                }
                case ComprehensionKind.Map:
                case ComprehensionKind.MapFilter:
                case ComprehensionKind.Filter:
                case ComprehensionKind.TransformList:
                case ComprehensionKind.TransformListFilter:
                {
                    var result = new List<object>(items.Count);
                    foreach (var (first, second) in items)
                    {
                        ctx.Charge(1);
                        Bind(ctx, first, second);
                        if (filter is not null)
                        {
                            var keep = filter(ctx);
                            if (keep is CelError)
                            {
                                return keep;
                            }
                            if (keep is not bool kb)
                            {
                                return CelError.NoSuchOverload("_?_:_");
                            }
                            if (!kb)
                            {
                                continue;
                            }
                        }
                        var v = step(ctx);
                        if (v is CelError)
                        {
                            return v;
                        }
                        if (kind == ComprehensionKind.Filter)
                        {
                            if (v is not bool fb)
                            {
                                return CelError.NoSuchOverload("_?_:_");
                            }
                            if (fb)
                            {
                                result.Add(first);
                            }
                            continue;
                        }
                        result.Add(v);
                    }
                    ctx.Charge(StandardLibrary.TraversalCost(result.Count));
                    return new CelList(result.ToArray());
                }
                default:
                {
                    var dict = new Dictionary<object, object>(items.Count, CelKeyComparer.Instance);
                    var entryKind = kind is ComprehensionKind.TransformMapEntry or ComprehensionKind.TransformMapEntryFilter;
                    foreach (var (first, second) in items)
                    {
                        ctx.Charge(1);
                        Bind(ctx, first, second);
                        if (filter is not null)
                        {
                            var keep = filter(ctx);
                            if (keep is CelError)
                            {
                                return keep;
                            }
                            if (keep is not true)
                            {
                                continue;
                            }
                        }
                        var v = step(ctx);
                        if (v is CelError)
                        {
                            return v;
                        }
                        if (entryKind)
                        {
                            if (v is not ICelMap entry)
                            {
                                return CelError.NoSuchOverload("transformMapEntry");
                            }
                            foreach (var k in entry.Keys)
                            {
                                entry.TryGet(k, out var ev);
                                if (!dict.TryAdd(k, ev))
                                {
                                    return new CelError($"insert failed: key {CelFormat.Display(k)} already exists");
                                }
                            }
                        }
                        else
                        {
                            dict[first] = v;
                        }
                    }
                    _ = isList;
                    return new CelMap(dict);
                }
            }

            void Bind(EvalContext c, object first, object second)
            {
                c.Slots[slot1] = first;
                if (twoVars)
                {
                    c.Slots[slot2] = second;
                }
            }
        };
    }
}
