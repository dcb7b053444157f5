using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Protobuf;
using Microsoft.Extensions.Logging;
using Storage.Codec;

namespace ApiServer.Registry;

/// <summary>
/// --storage-media-type: objects under the registry's prefix are written as JSON (this server's
/// default) or in Kubernetes protobuf (kube-apiserver's default: "k8s\0", a runtime.Unknown
/// envelope, the object as k8s.io/api's Go types), and read in either, so the server can be
/// pointed at an etcd a kube-apiserver wrote. Kinds without a protobuf form (custom resources) are
/// JSON either way, as in kube. A value that is neither protobuf nor a JSON object is corrupt.
/// </summary>
internal sealed class StorageEncoding(string prefix, bool writeProtobuf) : IStorageEncoding
{
    public const string Json = "application/json";
    public const string Protobuf = KubeProtobuf.MediaType;

    private static ReadOnlySpan<byte> ProtobufMagic => "k8s\0"u8;

    private readonly string _prefix = prefix.TrimEnd('/') + "/";

    public bool WritesProtobuf { get; } = writeProtobuf;

    public static StorageEncoding For(Options.EtcdOptions etcd) => new(etcd.Prefix, etcd.StorageMediaType == Protobuf);

    public ReadOnlyMemory<byte> Encode(string key, ReadOnlyMemory<byte> json)
    {
        if (!WritesProtobuf || !key.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return json;
        }

        var obj = JsonNode.Parse(json.Span, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth }) as JsonObject;
        return obj is not null && obj["apiVersion"]?.GetValueKind() == JsonValueKind.String && obj["kind"]?.GetValueKind() == JsonValueKind.String
            && KubeProtobuf.Knows(obj["apiVersion"]!.GetValue<string>(), obj["kind"]!.GetValue<string>())
            ? KubeProtobuf.Encode(obj)
            : json;
    }

    public bool TryDecode(string key, ReadOnlyMemory<byte> stored, out ReadOnlyMemory<byte> json, out string? error)
    {
        json = stored;
        error = null;
        if (!key.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return true;
        }

        if (stored.Span.StartsWith(ProtobufMagic))
        {
            try
            {
                var obj = KubeProtobuf.Decode(stored.Span);
                // Stored objects carry no resourceVersion (etcd's revision is theirs), as kube stores them.
                (obj["metadata"] as JsonObject)?.Remove("resourceVersion");
                json = ObjectCodec.Encode(obj);
                return true;
            }
            catch (Exception e) when (e is ProtobufDecodeException or FormatException or ArgumentException or InvalidOperationException)
            {
                error = "protobuf: " + e.Message;
                return false;
            }
        }

        return IsJsonObject(stored.Span, out error);
    }

    /// <summary>A whole JSON object and nothing after it (one pass of the reader; nothing is built).</summary>
    private static bool IsJsonObject(ReadOnlySpan<byte> value, out string? error)
    {
        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = ObjectCodec.MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "json: the stored value is not a JSON object";
                return false;
            }

            reader.Skip();
            if (reader.Read())
            {
                error = "json: data after the stored object";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = "json: " + e.Message;
            return false;
        }
    }
}

/// <summary>
/// Logs the undecodable values storage meets (kube logs a corrupt object and leaves it out of
/// lists), at most once a minute per key: a list of its resource meets it every time.
/// </summary>
internal sealed partial class CorruptObjectLog(ILogger<CorruptObjectLog> logger, TimeProvider time)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _logged = new(StringComparer.Ordinal);

    public void Report(string key, string error)
    {
        var now = time.GetUtcNow();
        if (_logged.TryGetValue(key, out var last) && now - last < Quiet)
        {
            return;
        }

        _logged[key] = now;
        LogCorrupt(logger, key, error);
    }

    [LoggerMessage(EventId = LogEvents.CorruptObject, Level = LogLevel.Error, Message = "corrupt object at {Key} left out of lists and watches (its own reads fail): {Error}")]
    private static partial void LogCorrupt(ILogger logger, string key, string error);
}
