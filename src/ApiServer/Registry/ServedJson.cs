using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ApiServer.Registry;

/// <summary>
/// An object's JSON as clients receive it, made from its stored bytes (which have no
/// metadata.resourceVersion) by splicing <c>"resourceVersion":"N"</c> in just inside metadata's
/// brace. The stored bytes are not copied: a write answers with what it stored, and the watch cache
/// serves what it holds, without encoding the object again.
/// </summary>
internal readonly struct ServedJson
{
    private readonly ReadOnlyMemory<byte> _stored;
    private readonly int _spliceAt;
    private readonly byte[] _version;

    private ServedJson(ReadOnlyMemory<byte> stored, int spliceAt, byte[] version)
    {
        _stored = stored;
        _spliceAt = spliceAt;
        _version = version;
    }

    /// <summary>The number of bytes <see cref="WriteTo"/> writes.</summary>
    public int Length => _stored.Length + _version.Length;

    /// <param name="stored">the stored JSON</param>
    /// <param name="metadataBodyAt">where metadata's members start, just after its brace</param>
    /// <param name="metadataEmpty">whether metadata has no members (then no comma follows the version)</param>
    public static ServedJson Splice(ReadOnlyMemory<byte> stored, int metadataBodyAt, bool metadataEmpty, long revision)
    {
        var version = Encoding.UTF8.GetBytes(
            "\"resourceVersion\":\"" + revision.ToString(CultureInfo.InvariantCulture) + "\"" + (metadataEmpty ? "" : ","));
        return new ServedJson(stored, metadataBodyAt, version);
    }

    /// <summary>JSON that is served as it is (it already carries its resourceVersion).</summary>
    public static ServedJson Whole(byte[] json) => new(json, json.Length, []);

    public void WriteTo(IBufferWriter<byte> writer)
    {
        var bytes = _stored.Span;
        writer.Write(bytes[.._spliceAt]);
        writer.Write(_version);
        writer.Write(bytes[_spliceAt..]);
    }
}

/// <summary>What a write returns: the object, and the JSON it stored as served (null when nothing was stored, as in a dry run).</summary>
internal readonly record struct Written(JsonObject Object, ServedJson? Json);

/// <summary>
/// An object as encoded for storage (without metadata.resourceVersion), with where metadata's members
/// start: 0 when it has no metadata object, and then it cannot be served by splicing.
/// </summary>
internal readonly record struct EncodedObject(byte[] Bytes, int MetadataBodyAt, bool MetadataEmpty)
{
    /// <summary>What a write answers: these bytes as stored at <paramref name="revision"/>.</summary>
    public ServedJson? Served(long revision) => ServedAs(Bytes, revision);

    /// <summary>The same JSON held in other memory (a watch event's copy of these bytes), as served at <paramref name="revision"/>.</summary>
    public ServedJson? ServedAs(ReadOnlyMemory<byte> sameBytes, long revision) =>
        MetadataBodyAt > 0 ? ServedJson.Splice(sameBytes, MetadataBodyAt, MetadataEmpty, revision) : null;
}
