using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;
using ApiServer.Registry.Conversion;

namespace ApiServer.Registry.Validation;

/// <summary>
/// events.k8s.io/v1 (kube's pkg/apis/core/validation/events.go, ValidateEventCreate and
/// ValidateEventUpdate for requests of that version): the legacy rules every Event passes, then the
/// strict ones of the events API. Checked on the core form, as kube checks its internal Event, with
/// kube's field paths.
/// </summary>
internal static class EventsValidation
{
    private const int ReportingInstanceLengthLimit = 128;
    private const int ActionLengthLimit = 128;
    private const int ReasonLengthLimit = 128;
    private const int NoteLengthLimit = 1024;

    public static void Create(JsonObject ev, List<FieldError> errs)
    {
        var core = Events.EventsV1ToCore(ev);
        Legacy(core, errs);
        Series(core, errs);
        if ((core.GetString("eventTime") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(FieldPath.New("eventTime"), ""));
        }

        var type = core.GetString("type") ?? "";
        if (type is not ("Normal" or "Warning"))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("type"), "", $"has invalid value: {type}"));
        }

        foreach (var field in new[] { "firstTimestamp", "lastTimestamp" })
        {
            if ((core.GetString(field) ?? "").Length > 0)
            {
                errs.Add(FieldError.Invalid(FieldPath.New(field), "", "needs to be unset"));
            }
        }

        if (Read.Int(core, "count") != 0)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("count"), "", "needs to be unset"));
        }

        if ((core["source"].GetString("component") ?? "").Length > 0 || (core["source"].GetString("host") ?? "").Length > 0)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("source"), "", "needs to be unset"));
        }
    }

    public static void Update(JsonObject ev, JsonObject old, List<FieldError> errs)
    {
        var core = Events.EventsV1ToCore(ev);
        var oldCore = Events.EventsV1ToCore(old);
        Legacy(core, errs);
        if (!Read.DeepEquals(core["series"], oldCore["series"]))
        {
            Series(core, errs);
        }

        foreach (var field in new[] { "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "action", "related", "reportingComponent", "reportingInstance" })
        {
            // kube's paths name the internal fields (reportingController for reportingComponent).
            var path = field == "reportingComponent" ? "reportingController" : field;
            Common.Immutable(errs, core[field], oldCore[field], FieldPath.New(path));
        }
    }

    private static void Series(JsonObject core, List<FieldError> errs)
    {
        if (core["series"] is not JsonObject series)
        {
            return;
        }

        if (Read.Int(series, "count") < 2)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("series.count"), "", "should be at least 2"));
        }

        if ((series.GetString("lastObservedTime") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(FieldPath.New("series.lastObservedTime"), ""));
        }
    }

    /// <summary>legacyValidateEvent: namespaces agree; an event with eventTime names who reported what.</summary>
    private static void Legacy(JsonObject core, List<FieldError> errs)
    {
        var ns = core["metadata"].GetString("namespace") ?? "";
        var involvedNamespace = core["involvedObject"].GetString("namespace") ?? "";
        var namespacePath = FieldPath.New("involvedObject", "namespace");
        if ((core.GetString("eventTime") ?? "").Length == 0)
        {
            if (involvedNamespace.Length == 0 ? ns is not ("" or "default") : ns != involvedNamespace)
            {
                errs.Add(FieldError.Invalid(namespacePath, involvedNamespace, "does not match event.namespace"));
            }
        }
        else
        {
            if (involvedNamespace.Length == 0 && ns is not ("default" or "kube-system"))
            {
                errs.Add(FieldError.Invalid(namespacePath, involvedNamespace, "does not match event.namespace"));
            }

            var controller = core.GetString("reportingComponent") ?? "";
            if (controller.Length == 0)
            {
                errs.Add(FieldError.Required(FieldPath.New("reportingController"), ""));
            }

            errs.AddRange(NameValidation.IsQualifiedName(controller).Select(m => FieldError.Invalid(FieldPath.New("reportingController"), controller, m)));
            Limited(errs, core.GetString("reportingInstance") ?? "", "reportingInstance", ReportingInstanceLengthLimit, required: true);
            Limited(errs, core.GetString("action") ?? "", "action", ActionLengthLimit, required: true);
            Limited(errs, core.GetString("reason") ?? "", "reason", ReasonLengthLimit, required: true);
            Limited(errs, core.GetString("message") ?? "", "message", NoteLengthLimit, required: false);
        }

        errs.AddRange(NameValidation.IsDNS1123Subdomain(ns).Select(m => FieldError.Invalid(FieldPath.New("namespace"), ns, m)));
    }

    private static void Limited(List<FieldError> errs, string value, string field, int limit, bool required)
    {
        if (required && value.Length == 0)
        {
            errs.Add(FieldError.Required(FieldPath.New(field), ""));
        }

        if (value.Length > limit)
        {
            errs.Add(FieldError.Invalid(FieldPath.New(field), "", $"can have at most {limit} characters"));
        }
    }
}
