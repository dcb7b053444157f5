using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiServer.Registry;

namespace ApiServer.Endpoints;

/// <summary>
/// Metadata-only answers (kube's meta.AsPartialObjectMetadata), asked for with
/// <c>Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1</c> (or v1beta1, or
/// <c>as=PartialObjectMetadataList</c> for a list). An object becomes
/// <c>{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{...}}</c> carrying
/// the whole of its metadata (managedFields too); a list becomes a PartialObjectMetadataList of such
/// items, each with its own kind and apiVersion, under the list's metadata. client-go's metadata
/// client and metadata informers read them (the garbage collector's and quota controller's).
/// </summary>
internal static class PartialObjectMetadata
{
    public const string Kind = "PartialObjectMetadata";
    public const string ListKind = "PartialObjectMetadataList";

    /// <summary>
    /// The metadata-only form of <paramref name="obj"/>, which gives up its metadata to it (callers
    /// pass objects that are theirs: decoded copies, fresh answers).
    /// </summary>
    public static JsonObject Of(JsonObject obj, string apiVersion)
    {
        var metadata = obj["metadata"] as JsonObject;
        if (metadata is not null)
        {
            obj.Remove("metadata");
        }

        metadata ??= [];
        // kube's ObjectMeta always writes creationTimestamp (null when unset: bookmarks).
        if (!metadata.ContainsKey("creationTimestamp"))
        {
            metadata["creationTimestamp"] = null;
        }

        return new JsonObject { ["kind"] = Kind, ["apiVersion"] = apiVersion, ["metadata"] = metadata };
    }

    /// <summary>
    /// A list's metadata-only form: kind PartialObjectMetadataList, the list's metadata
    /// (resourceVersion, continue, remainingItemCount), and items of <see cref="Of"/>. An empty list's
    /// items are null, as kube's encoder writes the list it builds item by item.
    /// </summary>
    public static JsonObject ListOf(ObjectList list, string apiVersion)
    {
        JsonArray? items = null;
        for (var i = 0; i < list.Count; i++)
        {
            (items ??= []).Add(Of(list.ItemAt(i), apiVersion));
        }

        return new JsonObject
        {
            ["kind"] = ListKind,
            ["apiVersion"] = apiVersion,
            ["metadata"] = Handlers.ListWriter.ListMetadata(list),
            ["items"] = items,
        };
    }

    /// <summary>
    /// The metadata-only form written straight from an object's served bytes (the watch cache's, or
    /// what a write stored): a fixed envelope around its metadata member, resourceVersion spliced in
    /// as ever. False, writing nothing, when the bytes are not the spliced stored form.
    /// </summary>
    public static bool TryWrite(ServedJson json, string apiVersion, IBufferWriter<byte> writer)
    {
        if (!json.TryGetMetadata(out var metadata))
        {
            return false;
        }

        writer.Write(Prefix(apiVersion));
        metadata.WriteTo(writer);
        writer.Write("}"u8);
        return true;
    }

    /// <summary>Compact JSON of the metadata-only form of <paramref name="json"/> (from its bytes when it can).</summary>
    public static byte[] Serialize(ServedJson json, Func<JsonObject> decode, string apiVersion)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length);
        if (!TryWrite(json, apiVersion, buffer))
        {
            using var writer = new Utf8JsonWriter(buffer, ObjectCodec.WriterOptions);
            Of(decode(), apiVersion).WriteTo(writer, ObjectCodec.JsonOptions);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static readonly byte[] PrefixV1 = PrefixOf("meta.k8s.io/v1");
    private static readonly byte[] PrefixV1Beta1 = PrefixOf("meta.k8s.io/v1beta1");

    private static byte[] Prefix(string apiVersion) => apiVersion switch
    {
        "meta.k8s.io/v1" => PrefixV1,
        "meta.k8s.io/v1beta1" => PrefixV1Beta1,
        _ => PrefixOf(apiVersion),
    };

    private static byte[] PrefixOf(string apiVersion) =>
        Encoding.UTF8.GetBytes($"{{\"kind\":\"{Kind}\",\"apiVersion\":\"{apiVersion}\",\"metadata\":");
}
