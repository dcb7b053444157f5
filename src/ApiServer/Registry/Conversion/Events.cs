using System.Text.Json.Nodes;

namespace ApiServer.Registry.Conversion;

/// <summary>
/// events.k8s.io/v1 ⇄ core v1 Events (kube's pkg/apis/events/v1 conversion.go): one object under two
/// names; the events API calls involvedObject regarding, message note, reportingComponent
/// reportingController, and keeps the core API's source, timestamps and count as deprecated fields.
/// </summary>
internal static class Events
{
    private static readonly GroupVersionKind EventsV1 = new("events.k8s.io", "v1", "Event");
    private static readonly GroupVersionKind Core = new("", "v1", "Event");

    /// <summary>(events.k8s.io/v1 name, core v1 name), in events.k8s.io/v1's field order.</summary>
    private static readonly (string EventsV1, string Core)[] Fields =
    [
        ("metadata", "metadata"),
        ("eventTime", "eventTime"),
        ("series", "series"),
        ("reportingController", "reportingComponent"),
        ("reportingInstance", "reportingInstance"),
        ("action", "action"),
        ("reason", "reason"),
        ("regarding", "involvedObject"),
        ("related", "related"),
        ("note", "message"),
        ("type", "type"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    /// <summary>core v1's field order, for the other direction.</summary>
    private static readonly string[] CoreOrder =
    [
        "metadata", "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type",
        "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance",
    ];

    public static JsonObject CoreToEventsV1(JsonObject core)
    {
        var result = BuiltinConversions.Typed(EventsV1);
        foreach (var (eventsName, coreName) in Fields)
        {
            BuiltinConversions.Copy(core, result, coreName, eventsName);
        }

        return result;
    }

    public static JsonObject EventsV1ToCore(JsonObject events)
    {
        var result = BuiltinConversions.Typed(Core);
        var byCore = Fields.ToDictionary(f => f.Core, f => f.EventsV1, StringComparer.Ordinal);
        foreach (var coreName in CoreOrder)
        {
            BuiltinConversions.Copy(events, result, byCore[coreName], coreName);
        }

        return result;
    }
}
