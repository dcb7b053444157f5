namespace Storage.Codec;

/// <summary>
/// How objects are written in etcd, next to the JSON the registry works with (kube-apiserver's
/// storage codec: --storage-media-type). Values outside the registry's keys pass through untouched.
/// </summary>
public interface IStorageEncoding
{
    /// <summary>The bytes to store for the registry's <paramref name="json"/> (the same bytes when the encoding is JSON).</summary>
    ReadOnlyMemory<byte> Encode(string key, ReadOnlyMemory<byte> json);

    /// <summary>
    /// The registry's JSON for what is stored at <paramref name="key"/>, whatever encoding wrote it;
    /// false when it cannot be decoded (a corrupt object), with the reason.
    /// </summary>
    bool TryDecode(string key, ReadOnlyMemory<byte> stored, out ReadOnlyMemory<byte> json, out string? error);
}
