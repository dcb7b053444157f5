using System.Buffers;
using System.Buffers.Text;
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
    private static ReadOnlySpan<byte> VersionKey => "\"resourceVersion\":\""u8;

    private readonly ReadOnlyMemory<byte> _stored;

    // Where the version goes; -1 when the JSON is served as it is (it has its version already).
    private readonly int _spliceAt;

    // The revision written at the splice (its digits are written, not kept: a watch cache of a million
    // objects would otherwise hold a million small arrays).
    private readonly long _revision;
    private readonly bool _metadataEmpty;

    private ServedJson(ReadOnlyMemory<byte> stored, int spliceAt, long revision, bool metadataEmpty)
    {
        _stored = stored;
        _spliceAt = spliceAt;
        _revision = revision;
        _metadataEmpty = metadataEmpty;
    }

    /// <summary>The number of bytes <see cref="WriteTo"/> writes.</summary>
    public int Length => _spliceAt < 0
        ? _stored.Length
        : _stored.Length + VersionKey.Length + Digits(_revision) + 1 + (_metadataEmpty ? 0 : 1);

    /// <param name="stored">the stored JSON</param>
    /// <param name="metadataBodyAt">where metadata's members start, just after its brace</param>
    /// <param name="metadataEmpty">whether metadata has no members (then no comma follows the version)</param>
    public static ServedJson Splice(ReadOnlyMemory<byte> stored, int metadataBodyAt, bool metadataEmpty, long revision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        return new ServedJson(stored, metadataBodyAt, revision, metadataEmpty);
    }

    /// <summary>JSON that is served as it is (it already carries its resourceVersion, <paramref name="revision"/>).</summary>
    public static ServedJson Whole(byte[] json, long revision) => new(json, -1, revision, false);

    /// <summary>Whether the bytes are the stored ones, the version spliced in as they are written.</summary>
    public bool IsSpliced => _spliceAt >= 0;

    /// <summary>The stored bytes when <see cref="IsSpliced"/>, else the whole JSON as served.</summary>
    public ReadOnlyMemory<byte> Stored => _stored;

    /// <summary>The object's resourceVersion.</summary>
    public long Revision => _revision;

    /// <summary>
    /// The object's metadata member alone, as served (the version spliced in just inside its brace),
    /// over the same stored bytes: what a metadata-only answer writes. False when the JSON is served
    /// whole (not spliced). Reads the metadata member only, not the rest of the object.
    /// </summary>
    public bool TryGetMetadata(out ServedJson metadata)
    {
        metadata = default;
        var open = _spliceAt - 1;
        if (open < 0 || _stored.Span[open] != (byte)'{')
        {
            return false;
        }

        var reader = new System.Text.Json.Utf8JsonReader(_stored.Span[open..], new System.Text.Json.JsonReaderOptions { MaxDepth = ObjectCodec.MaxDepth });
        if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject || !reader.TrySkip())
        {
            return false;
        }

        metadata = new ServedJson(_stored.Slice(open, (int)reader.BytesConsumed), 1, _revision, _metadataEmpty);
        return true;
    }

    public void WriteTo(IBufferWriter<byte> writer)
    {
        var bytes = _stored.Span;
        if (_spliceAt < 0)
        {
            writer.Write(bytes);
            return;
        }

        writer.Write(bytes[.._spliceAt]);
        writer.Write(VersionKey);
        var digits = writer.GetSpan(20);
        Utf8Formatter.TryFormat(_revision, digits, out var written);
        writer.Advance(written);
        writer.Write(_metadataEmpty ? "\""u8 : "\","u8);
        writer.Write(bytes[_spliceAt..]);
    }

    private static int Digits(long value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
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
