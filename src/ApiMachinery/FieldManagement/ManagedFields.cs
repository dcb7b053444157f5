using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiMachinery.FieldManagement;

/// <summary>One entry of <c>metadata.managedFields</c>: who owns which fields, through which operation.</summary>
public sealed class ManagedFieldsEntry
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    public required string Manager { get; init; }

    public required string Operation { get; init; }

    public string ApiVersion { get; set; } = "";

    public string Subresource { get; init; } = "";

    /// <summary>RFC 3339, seconds; empty when unknown.</summary>
    public string Time { get; set; } = "";

    public FieldSet Fields { get; set; } = new();

    /// <summary>
    /// Entries are one per manager, operation and subresource, and for updates also per apiVersion
    /// (kube's manager identifier leaves the apiVersion out for appliers only).
    /// </summary>
    public bool SameOwner(string manager, string operation, string subresource, string apiVersion) =>
        Manager == manager && Operation == operation && Subresource == subresource
        && (operation == Apply || ApiVersion == apiVersion);

    /// <summary>How conflicts name the owner: <c>"kubectl-edit" using apps/v1</c>, <c>"kubectl" with subresource "status"</c>.</summary>
    public string Describe()
    {
        var text = "\"" + Manager + "\"";
        if (Subresource.Length > 0)
        {
            text += " with subresource \"" + Subresource + "\"";
        }

        return Operation == Update ? text + " using " + ApiVersion : text;
    }

    public static ManagedFieldsEntry? FromJson(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return null;
        }

        return new ManagedFieldsEntry
        {
            Manager = obj.GetString("manager") ?? "",
            Operation = obj.GetString("operation") ?? "",
            ApiVersion = obj.GetString("apiVersion") ?? "",
            Subresource = obj.GetString("subresource") ?? "",
            Time = obj.GetString("time") ?? "",
            Fields = FieldSet.FromFieldsV1(obj["fieldsV1"] as JsonObject),
        };
    }

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["manager"] = Manager, ["operation"] = Operation, ["apiVersion"] = ApiVersion };
        if (Time.Length > 0)
        {
            obj["time"] = Time;
        }

        obj["fieldsType"] = "FieldsV1";
        obj["fieldsV1"] = Fields.ToFieldsV1();
        if (Subresource.Length > 0)
        {
            obj["subresource"] = Subresource;
        }

        return obj;
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Reading and writing <c>metadata.managedFields</c>, sorted as kube-apiserver sorts them.</summary>
public static class ManagedFields
{
    public static List<ManagedFieldsEntry> Read(JsonObject obj) =>
        (obj["metadata"]?["managedFields"] as JsonArray ?? [])
            .Select(ManagedFieldsEntry.FromJson)
            .OfType<ManagedFieldsEntry>()
            .ToList();

    public static bool Has(JsonObject obj) => obj["metadata"]?["managedFields"] is JsonArray { Count: > 0 };

    public static void Remove(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            metadata.Remove("managedFields");
        }
    }

    /// <summary>Writes the entries that own something: appliers first, then by time, manager and apiVersion.</summary>
    public static void Write(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var sorted = entries
            .Where(e => !e.Fields.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time, StringComparer.Ordinal)
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .Select(e => (JsonNode)e.ToJson())
            .ToArray();
        if (obj["metadata"] is not JsonObject metadata)
        {
            return;
        }

        if (sorted.Length == 0)
        {
            metadata.Remove("managedFields");
        }
        else
        {
            metadata["managedFields"] = new JsonArray(sorted);
        }
    }
}
