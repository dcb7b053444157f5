using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Serialization;

namespace ApiMachinery.Errors;

/// <summary>One entry of details.causes; serialized as <c>{"reason","message","field"}</c>.</summary>
public sealed record StatusCause(string Type = "", string Message = "", string Field = "");

/// <summary>
/// metav1.StatusDetails. Kind holds the resource (plural) for most errors and the Kind for Invalid,
/// as kube does. An empty details object still serializes as <c>"details":{}</c>; only a null one is omitted.
/// </summary>
public sealed record StatusDetails
{
    public string Name { get; init; } = "";

    public string Group { get; init; } = "";

    public string Kind { get; init; } = "";

    public string Uid { get; init; } = "";

    public IReadOnlyList<StatusCause> Causes { get; init; } = [];

    public int RetryAfterSeconds { get; init; }
}

/// <summary>
/// metav1.Status, the body of every error answer and of some success answers. Serializes with kube's
/// field order and omitempty rules:
/// <c>{"kind":"Status","apiVersion":"v1","metadata":{},"status","message","reason","details","code"}</c>.
/// </summary>
public sealed record ApiStatus
{
    public const string StatusSuccess = "Success";
    public const string StatusFailure = "Failure";

    /// <summary>"Success" or "Failure".</summary>
    public string Status { get; init; } = StatusFailure;

    public string Message { get; init; } = "";

    /// <summary>One of <see cref="StatusReasons"/>; empty when unknown.</summary>
    public string Reason { get; init; } = "";

    public StatusDetails? Details { get; init; }

    /// <summary>The HTTP status code; 0 leaves "code" out.</summary>
    public int Code { get; init; }

    /// <summary>ListMeta.resourceVersion, rarely set on a Status.</summary>
    public string ResourceVersion { get; init; } = "";

    /// <summary>ListMeta.continue: set on the 410 answer that offers a token to continue an inconsistent list.</summary>
    public string Continue { get; init; } = "";

    /// <summary>
    /// The Status kube-apiserver answers after deleting an object immediately: details name, group,
    /// kind (the resource plural) and uid, and no code.
    /// </summary>
    public static ApiStatus Success(string name, string group, string resource, string uid) => new()
    {
        Status = StatusSuccess,
        Details = new StatusDetails { Name = name, Group = group, Kind = resource, Uid = uid },
    };

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", "Status");
        writer.WriteString("apiVersion", "v1");
        writer.WriteStartObject("metadata");
        WriteIfNotEmpty(writer, "resourceVersion", ResourceVersion);
        WriteIfNotEmpty(writer, "continue", Continue);
        writer.WriteEndObject();
        WriteIfNotEmpty(writer, "status", Status);
        WriteIfNotEmpty(writer, "message", Message);
        WriteIfNotEmpty(writer, "reason", Reason);
        if (Details is { } details)
        {
            writer.WriteStartObject("details");
            WriteIfNotEmpty(writer, "name", details.Name);
            WriteIfNotEmpty(writer, "group", details.Group);
            WriteIfNotEmpty(writer, "kind", details.Kind);
            WriteIfNotEmpty(writer, "uid", details.Uid);
            if (details.Causes.Count > 0)
            {
                writer.WriteStartArray("causes");
                foreach (var cause in details.Causes)
                {
                    writer.WriteStartObject();
                    WriteIfNotEmpty(writer, "reason", cause.Type);
                    WriteIfNotEmpty(writer, "message", cause.Message);
                    WriteIfNotEmpty(writer, "field", cause.Field);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            if (details.RetryAfterSeconds != 0)
            {
                writer.WriteNumber("retryAfterSeconds", details.RetryAfterSeconds);
            }
            writer.WriteEndObject();
        }
        if (Code != 0)
        {
            writer.WriteNumber("code", Code);
        }
        writer.WriteEndObject();
    }

    /// <summary>Compact JSON with Go's escaping (no trailing newline).</summary>
    public byte[] ToUtf8Json()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, GoJsonEncoder.WriterOptions))
        {
            WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Compact JSON with Go's escaping (no trailing newline).</summary>
    public string ToJson() => Encoding.UTF8.GetString(ToUtf8Json());

    public JsonObject ToJsonObject() => JsonNode.Parse(ToUtf8Json())!.AsObject();

    /// <summary>Reads a Status (e.g. from an admission webhook answer); missing fields take their zero values.</summary>
    public static ApiStatus FromJsonObject(JsonObject obj)
    {
        var metadata = obj["metadata"] as JsonObject;
        StatusDetails? details = null;
        if (obj["details"] is JsonObject d)
        {
            var causes = new List<StatusCause>();
            if (d["causes"] is JsonArray array)
            {
                foreach (var item in array.OfType<JsonObject>())
                {
                    causes.Add(new StatusCause(item["reason"].AsString() ?? "", item["message"].AsString() ?? "", item["field"].AsString() ?? ""));
                }
            }
            details = new StatusDetails
            {
                Name = d["name"].AsString() ?? "",
                Group = d["group"].AsString() ?? "",
                Kind = d["kind"].AsString() ?? "",
                Uid = d["uid"].AsString() ?? "",
                Causes = causes,
                RetryAfterSeconds = Int(d["retryAfterSeconds"]),
            };
        }
        return new ApiStatus
        {
            Status = obj["status"].AsString() ?? "",
            Message = obj["message"].AsString() ?? "",
            Reason = obj["reason"].AsString() ?? "",
            Details = details,
            Code = Int(obj["code"]),
            ResourceVersion = metadata?["resourceVersion"].AsString() ?? "",
            Continue = metadata?["continue"].AsString() ?? "",
        };
    }

    private static void WriteIfNotEmpty(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }

    private static int Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i : 0;
}
