using ApiMachinery.Serialization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Storage;

namespace ApiServer.Registry;

/// <summary>
/// Converts between stored bytes and objects. Objects are stored as JSON without a
/// resourceVersion (etcd's mod_revision is the resourceVersion, as kube-apiserver does with
/// --storage-media-type=application/json); reading stamps it back.
/// </summary>
internal static class ObjectCodec
{
    /// <summary>Compact JSON escaped exactly as Go's encoding/json escapes it, as kube-apiserver writes.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = GoJsonEncoder.Instance,
        WriteIndented = false,
        // Objects may nest deeper than System.Text.Json's default of 64 (CRD-like schemas, YAML bodies).
        MaxDepth = MaxDepth,
    };

    /// <summary>The nesting limit for decoding and encoding; deeper bodies are refused with 400.</summary>
    public const int MaxDepth = 1000;

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = GoJsonEncoder.Instance,
        Indented = false,
        SkipValidation = true,
        MaxDepth = MaxDepth,
    };

    public static JsonObject Decode(StoredObject stored)
    {
        var node = JsonNode.Parse(stored.Value.Span, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }) as JsonObject
            ?? throw new InvalidDataException($"stored value at {stored.Key} is not a JSON object");
        SetResourceVersion(node, stored.ModRevision);
        return node;
    }

    /// <summary>The bytes to store: the object without metadata.resourceVersion.</summary>
    public static byte[] Encode(JsonObject obj)
    {
        var metadata = obj["metadata"] as JsonObject;
        JsonNode? rv = null;
        if (metadata is not null && metadata.TryGetPropertyValue("resourceVersion", out rv))
        {
            metadata.Remove("resourceVersion");
        }

        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(obj, JsonOptions);
        }
        finally
        {
            if (rv is not null)
            {
                metadata!["resourceVersion"] = rv;
            }
        }
    }

    public static byte[] Serialize(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, JsonOptions);

    public static void SetResourceVersion(JsonObject obj, long revision)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = new JsonObject();
            obj["metadata"] = metadata;
        }

        metadata["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
