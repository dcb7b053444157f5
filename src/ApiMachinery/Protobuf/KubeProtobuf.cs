using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace ApiMachinery.Protobuf;

/// <summary>
/// Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), which client-go's typed
/// clients send since 1.32: the magic "k8s\0", then a runtime.Unknown {typeMeta{apiVersion, kind},
/// raw, contentEncoding, contentType} whose raw bytes are the object as gogo-protobuf writes
/// k8s.io/api's Go types. The server keeps objects as JSON, so this codec maps between those bytes
/// and the JSON kube-apiserver writes for the same object.
/// </summary>
public static class KubeProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>Whether a kind has a protobuf form here (the built-in kinds; never custom resources).</summary>
    public static bool Knows(string apiVersion, string kind) => KubeProtobufSchema.ForKind(apiVersion, kind) is not null;

    /// <summary>
    /// Decodes a protobuf body into the JSON kube-apiserver would write for it: kind and apiVersion
    /// first, then the fields in Go struct order. Fields this schema lacks are skipped.
    /// </summary>
    /// <exception cref="ProtobufDecodeException">not Kubernetes protobuf, malformed, or a kind without a protobuf form.</exception>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw new ProtobufDecodeException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        if (body.Length == Magic.Length)
        {
            throw new ProtobufDecodeException("empty body");
        }

        string apiVersion = "", kind = "";
        ReadOnlySpan<byte> raw = default;
        var reader = new ProtoReader(body[Magic.Length..]);
        while (reader.Next(out var number, out var wireType))
        {
            if (number is >= 1 and <= 4 && wireType != 2)
            {
                throw new ProtobufDecodeException($"proto: wrong wireType = {wireType} for field {number} of the runtime.Unknown envelope");
            }

            switch (number)
            {
                case 1:
                    var typeMeta = new ProtoReader(reader.ReadBytes());
                    while (typeMeta.Next(out var n, out var w))
                    {
                        if (n is 1 or 2 && w == 2)
                        {
                            var text = Encoding.UTF8.GetString(typeMeta.ReadBytes());
                            if (n == 1) apiVersion = text;
                            else kind = text;
                        }
                        else
                        {
                            typeMeta.Skip(n, w);
                        }
                    }

                    break;
                case 2:
                    raw = reader.ReadBytes();
                    break;
                default:
                    // contentEncoding and contentType: kube-apiserver does not act on them either.
                    reader.Skip(number, wireType);
                    break;
            }
        }

        if (kind.Length == 0)
        {
            throw new ProtobufDecodeException("Object 'Kind' is missing in the protobuf envelope");
        }

        if (apiVersion.Length == 0)
        {
            throw new ProtobufDecodeException("Object 'apiVersion' is missing in the protobuf envelope");
        }

        var message = KubeProtobufSchema.ForKind(apiVersion, kind)
            ?? throw new ProtobufDecodeException($"no kind \"{kind}\" is registered for version \"{apiVersion}\" in protobuf");
        var obj = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
        ProtobufJsonDecoder.DecodeInto(message, raw, obj, 0);
        return obj;
    }

    /// <summary>
    /// Encodes a built-in object as kube-apiserver sends it in protobuf: the envelope's typeMeta from
    /// the object's apiVersion and kind, and the fields as gogo writes them (by number, zero values of
    /// non-pointer fields included), so a Go client decodes exactly this object.
    /// </summary>
    /// <exception cref="ArgumentException">no apiVersion/kind, a kind without a protobuf form, or a value of the wrong JSON type.</exception>
    public static byte[] Encode(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = TypeMetaString(obj, "apiVersion");
        var kind = TypeMetaString(obj, "kind");
        var message = KubeProtobufSchema.ForKind(apiVersion, kind)
            ?? throw new ArgumentException($"no protobuf form is known for {apiVersion}, Kind={kind}", nameof(obj));

        using var writer = new ProtoWriter();
        writer.WriteRaw(Magic);

        // runtime.Unknown, fields in the order its NestedMarshalTo writes them, empty strings included.
        writer.WriteTag(1, 2);
        var typeMeta = writer.BeginLength();
        writer.WriteTag(1, 2);
        writer.WriteString(apiVersion);
        writer.WriteTag(2, 2);
        writer.WriteString(kind);
        writer.EndLength(typeMeta);

        writer.WriteTag(2, 2);
        var raw = writer.BeginLength();
        ProtobufJsonEncoder.EncodeMessage(message, obj, writer, 0);
        writer.EndLength(raw);

        writer.WriteTag(3, 2);
        writer.WriteVarint(0);
        writer.WriteTag(4, 2);
        writer.WriteVarint(0);
        return writer.ToArray();
    }

    private static string TypeMetaString(JsonObject obj, string name) =>
        obj.GetString(name) is { Length: > 0 } text
            ? text
            : throw new ArgumentException($"the object has no {name}", nameof(obj));
}

/// <summary>A protobuf body that is malformed or names a kind without a protobuf form (the server answers 400 or 415).</summary>
public sealed class ProtobufDecodeException(string message) : FormatException(message);
