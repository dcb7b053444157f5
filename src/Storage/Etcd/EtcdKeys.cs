using Google.Protobuf;

namespace Storage.Etcd;

internal static class EtcdKeys
{
    /// <summary>
    /// The range_end that selects every key starting with <paramref name="prefix"/>: the prefix with
    /// its last byte below 0xff incremented (clientv3.GetPrefixRangeEnd). All-0xff prefixes get "\0",
    /// which etcd reads as "to the end of the keyspace".
    /// </summary>
    public static ByteString PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return UnsafeByteOperations.UnsafeWrap(end);
            }
        }

        return ByteString.CopyFrom(0);
    }
}
