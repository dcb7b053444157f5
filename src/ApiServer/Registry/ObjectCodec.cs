using System.Buffers;
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

    public static JsonObject Decode(StoredObject stored) => Decode(stored.Key, stored.Value, stored.ModRevision);

    /// <summary>The stored <paramref name="value"/> of <paramref name="key"/> as an object at <paramref name="revision"/>.</summary>
    public static JsonObject Decode(string key, ReadOnlyMemory<byte> value, long revision)
    {
        var node = JsonNode.Parse(value.Span, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }) as JsonObject
            ?? throw new InvalidDataException($"stored value at {key} is not a JSON object");
        SetResourceVersion(node, revision);
        return node;
    }

    /// <summary>The bytes to store: the object without metadata.resourceVersion.</summary>
    public static byte[] Encode(JsonObject obj) => EncodeForStorage(obj).Bytes;

    /// <summary>
    /// The bytes to store (the object without metadata.resourceVersion), written in one pass that
    /// also notes where metadata's members start, so that the write can answer with these same bytes
    /// and the revision spliced in (<see cref="EncodedObject.Served"/>).
    /// </summary>
    public static EncodedObject EncodeForStorage(JsonObject obj)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        try
        {
            var at = 0;
            var empty = true;
            writer.WriteStartObject();
            foreach (var (name, value) in obj)
            {
                writer.WritePropertyName(name);
                if (at == 0 && name == "metadata" && value is JsonObject metadata)
                {
                    writer.WriteStartObject();
                    writer.Flush();
                    at = (int)writer.BytesCommitted;
                    foreach (var (field, fieldValue) in metadata)
                    {
                        if (field != "resourceVersion")
                        {
                            empty = false;
                            writer.WritePropertyName(field);
                            WriteValue(writer, fieldValue);
                        }
                    }

                    writer.WriteEndObject();
                }
                else
                {
                    WriteValue(writer, value);
                }
            }

            writer.WriteEndObject();
            writer.Flush();
            return new EncodedObject(buffer.WrittenSpan.ToArray(), at, empty);
        }
        finally
        {
            buffer.ResetWrittenCount();
            if (buffer.Capacity > RetainedBufferBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer, JsonOptions);
        }
    }

    // One encoding buffer per thread (encoding never awaits), dropped after an unusually large object.
    private const int RetainedBufferBytes = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

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
