using System.Globalization;
using Google.Protobuf;
using Storage.Etcd;
using Storage.Etcd.Protos;

namespace Storage.Compaction;

/// <summary>
/// Compacts etcd's history on an interval, the way kube-apiserver does (k8s.io/apiserver
/// pkg/storage/etcd3/compact.go), so that several servers sharing one etcd compact once per interval:
/// each round is a Txn on the key <c>compact_rev_key</c> that succeeds only if the key's version is
/// the one this server saw last round; the winner records the current revision there and compacts
/// the revision recorded the round before. Compaction therefore trails by one interval, which
/// leaves watchers and continue tokens an interval's grace.
/// </summary>
internal sealed class Compactor(EtcdClient client)
{
    /// <summary>The key kube-apiserver coordinates compaction through (outside the /registry prefix).</summary>
    public const string CompactRevisionKey = "compact_rev_key";

    private static readonly ByteString Key = ByteString.CopyFromUtf8(CompactRevisionKey);

    /// <summary>compact_rev_key's version as this server last saw it.</summary>
    private long _lastVersion;

    /// <summary>The revision recorded by the last successful round, compacted by the next.</summary>
    private long _lastRevision;

    /// <summary>
    /// One round. Returns the revision it compacted (0 when it lost the race, or on the first round,
    /// which only records where the next one will compact to).
    /// </summary>
    public async Task<long> CompactOnceAsync(CancellationToken cancellationToken)
    {
        var request = new TxnRequest();
        request.Compare.Add(new Compare
        {
            Key = Key,
            Target = Compare.Types.CompareTarget.Version,
            Result = Compare.Types.CompareResult.Equal,
            Version = _lastVersion,
        });
        request.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Key, Value = ByteString.CopyFromUtf8(_lastRevision.ToString(CultureInfo.InvariantCulture)) } });
        request.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = Key } });
        var response = await client.TxnAsync(request, cancellationToken).ConfigureAwait(false);
        var currentRevision = response.Header.Revision;

        if (!response.Succeeded)
        {
            // Another server compacted this interval; follow its count and try again next round.
            _lastVersion = response.Responses[0].ResponseRange.Kvs.FirstOrDefault()?.Version ?? 0;
            _lastRevision = currentRevision;
            return 0;
        }

        _lastVersion++;
        var toCompact = _lastRevision;
        _lastRevision = currentRevision;
        if (toCompact == 0)
        {
            return 0;
        }

        await client.CompactAsync(toCompact, physical: false, cancellationToken).ConfigureAwait(false);
        return toCompact;
    }
}
