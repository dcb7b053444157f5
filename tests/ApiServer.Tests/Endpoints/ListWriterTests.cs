using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Serialization;
using ApiServer.Endpoints;
using ApiServer.Endpoints.Handlers;
using ApiServer.Printing;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Tests.Endpoints;

/// <summary>
/// The streaming list writer writes the bytes the whole-body writer wrote (compact with json.Encoder's
/// newline, pretty as json.MarshalIndent, Tables), for items from the watch cache and from etcd, and
/// hands the body to the connection in pieces instead of building it.
/// </summary>
public sealed class ListWriterTests
{
    private static readonly ResourceDefinition PodsResource = ResourceTable.LoadBuiltin().All.Single(r => r.Group == "" && r.Plural == "pods");
    private static readonly ResourceStrategy Pods = StrategyFactory.For(PodsResource);
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static StoredObject Stored(int i)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"pod-{i}",
                ["namespace"] = "ns",
                ["labels"] = new JsonObject { ["app"] = i % 2 == 0 ? "web" : "db<&>" },
                ["creationTimestamp"] = "2026-12-03T11:00:00Z",
            },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = "n1",
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox", ["args"] = new JsonArray("é", "\u2028", 1.5, 10) }),
            },
            ["status"] = new JsonObject { ["phase"] = "Running" },
        };
        return new StoredObject($"/registry/pods/ns/pod-{i}", ObjectCodec.Encode(obj), 100 + i, 100 + i);
    }

    // Enough items (about 300 bytes each, compact) for a body of over ten flush thresholds.
    private const int BigListCount = 16_000;

    private static ObjectList CachedList(int count, string? token = null, long? remaining = null) =>
        ObjectList.FromStored(Enumerable.Range(0, count).Select(Stored).Select(s => s with { View = ObjectView.Create(s, Pods) }).ToList(), 500, token, remaining);

    private static ObjectList EtcdList(int count, string? token = null, long? remaining = null) =>
        ObjectList.FromStored(Enumerable.Range(0, count).Select(Stored).ToList(), 500, token, remaining);

    /// <summary>What the whole-body writer wrote: the list as one JsonObject, serialized.</summary>
    private static byte[] WholeBody(ObjectList list, bool pretty)
    {
        if (list.Views is { } views)
        {
            // Cached items were the cache's bytes (metadata.resourceVersion spliced in first) in the envelope.
            var whole = new ArrayBufferWriter<byte>();
            var head = ListWriter.Head(PodsResource, list);
            whole.Write(head.AsSpan(0, head.Length - 1));
            whole.Write(",\"items\":["u8);
            for (var i = 0; i < views.Count; i++)
            {
                if (i > 0)
                {
                    whole.Write(","u8);
                }

                views[i].WriteTo(whole);
            }

            whole.Write("]}"u8);
            return pretty ? MediaTypes.Indent(whole.WrittenSpan) : [.. whole.WrittenSpan, .. "\n"u8.ToArray()];
        }

        var body = ListWriter.Envelope(PodsResource, list);
        body["items"] = new JsonArray(Enumerable.Range(0, list.Count).Select(i => (JsonNode)list.ItemAt(i)).ToArray());
        var compact = ObjectCodec.Serialize(body);
        return pretty ? MediaTypes.Indent(compact) : [.. compact, .. "\n"u8.ToArray()];
    }

    private static byte[] WholeTable(ObjectList list, string include, bool pretty)
    {
        var table = TableConvertor.ToTable(PodsResource, Enumerable.Range(0, list.Count).Select(list.ItemAt), ListWriter.ListMetadata(list), include, Now);
        var compact = ObjectCodec.Serialize(table);
        return pretty ? MediaTypes.Indent(compact) : [.. compact, .. "\n"u8.ToArray()];
    }

    private static async Task<(byte[] Body, FlushCountingStream Stream)> WriteAsync(Func<PipeWriter, Task> write)
    {
        var stream = new FlushCountingStream();
        var pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        await write(pipe);
        await pipe.CompleteAsync();
        return (stream.ToArray(), stream);
    }

    public static TheoryData<int, bool, bool, bool> Shapes()
    {
        var data = new TheoryData<int, bool, bool, bool>();
        foreach (var count in new[] { 0, 1, 3 })
        {
            foreach (var cached in new[] { true, false })
            {
                foreach (var pretty in new[] { true, false })
                {
                    foreach (var paged in new[] { true, false })
                    {
                        data.Add(count, cached, pretty, paged);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Json_IsTheWholeBodyWritersBytes(int count, bool cached, bool pretty, bool paged)
    {
        var (token, remaining) = paged ? ("tok", (long?)7) : (null, null);
        var list = cached ? CachedList(count, token, remaining) : EtcdList(count, token, remaining);
        var expected = WholeBody(list, pretty);

        var (objects, _) = await WriteAsync(pipe => ListWriter.WriteObjectsAsync(pipe, PodsResource, list, pretty, CancellationToken.None));
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(objects));

        if (cached && !pretty)
        {
            var (compact, _) = await WriteAsync(pipe => ListWriter.WriteCompactAsync(pipe, PodsResource, list, list.Views!, CancellationToken.None));
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(compact));
            Assert.Equal(expected.Length, ListWriter.CompactLength(PodsResource, list, list.Views!));
        }
    }

    /// <summary>
    /// A PartialObjectMetadataList written from the cache's bytes (only each item's metadata member
    /// read) says what the list built from decoded objects says, pretty or compact; no items is null.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task MetadataList_FromTheCachesBytes_IsTheDecodedItemsMetadata(int count, bool cached, bool pretty, bool paged)
    {
        var (token, remaining) = paged ? ("tok", (long?)7) : (null, null);
        var list = cached ? CachedList(count, token, remaining) : EtcdList(count, token, remaining);
        var expected = PartialObjectMetadata.ListOf(EtcdList(count, token, remaining), "meta.k8s.io/v1");

        var (body, _) = await WriteAsync(pipe => ListWriter.WriteMetadataAsync(pipe, list, "meta.k8s.io/v1", pretty, CancellationToken.None));
        var text = Encoding.UTF8.GetString(body);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(text)), text);
        Assert.Equal(!pretty, text.EndsWith("}\n", StringComparison.Ordinal));
        Assert.Equal(pretty ? MediaTypes.Indent(ObjectCodec.Serialize(JsonNode.Parse(text)!)) : [.. ObjectCodec.Serialize(JsonNode.Parse(text)!), .. "\n"u8.ToArray()], body);
        if (count == 0)
        {
            Assert.Null(JsonNode.Parse(text)!["items"]);
        }
        else
        {
            var item = JsonNode.Parse(text)!["items"]![0]!.AsObject();
            Assert.Equal(["kind", "apiVersion", "metadata"], item.Select(p => p.Key));
            Assert.Equal("pod-0", (string?)item["metadata"]!["name"]);
            Assert.Equal("100", (string?)item["metadata"]!["resourceVersion"]);
        }
    }

    /// <summary>A pod whose strings exercise the YAML emitter: folding past 80 columns, literal blocks, quoting.</summary>
    private static StoredObject YamlPod(int i, string text)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"pod-{i}",
                ["namespace"] = "ns",
                ["annotations"] = new JsonObject { ["note"] = text, ["yes"] = "yes", ["num"] = "012", ["empty"] = "" },
            },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["args"] = new JsonArray(text, "- x", "a: b", 1.5) }) },
        };
        return new StoredObject($"/registry/pods/ns/pod-{i}", ObjectCodec.Encode(obj), 100 + i, 100 + i);
    }

    private static readonly string[] YamlTexts =
    [
        "short",
        string.Join(' ', Enumerable.Repeat("a long line of words that the emitter folds past eighty columns", 4)),
        "two\nlines\n\n",
        "trailing spaces  \n  and indented\n",
        "quotes ' and \" and: colons # hash",
        "é\u2028\t<&>",
    ];

    private static ObjectList YamlList(bool cached, int count, string? token, long? remaining)
    {
        var stored = Enumerable.Range(0, count).Select(i => YamlPod(i, YamlTexts[i % YamlTexts.Length]));
        return ObjectList.FromStored((cached ? stored.Select(s => s with { View = ObjectView.Create(s, Pods) }) : stored).ToList(), 500, token, remaining);
    }

    [Theory]
    [InlineData(0, true, false)]
    [InlineData(1, true, false)]
    [InlineData(1, false, true)]
    [InlineData(6, true, true)]
    [InlineData(6, false, false)]
    [InlineData(13, true, false)]
    public async Task Yaml_IsTheWholeBodyEmittersBytes(int count, bool cached, bool paged)
    {
        var (token, remaining) = paged ? ("tok", (long?)7) : (null, null);
        // The whole body takes the list's items for itself: it gets a list of its own.
        var expected = YamlJson.FromJsonNode(ResourceHandler.ListBody(PodsResource, YamlList(cached, count, token, remaining)));

        var (body, _) = await WriteAsync(pipe => ListWriter.WriteYamlAsync(pipe, PodsResource, YamlList(cached, count, token, remaining), CancellationToken.None));
        Assert.Equal(expected, Encoding.UTF8.GetString(body));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Yaml_AnItemYamlCannotCarry_IsRefusedBeforeAnyByteAsTheWholeBodyWas(bool cached)
    {
        var list = ObjectList.FromStored(
            new[] { YamlPod(0, "fine"), YamlPod(1, "a\u0085b\u0085--- x"), YamlPod(2, "fine") }
                .Select(s => cached ? s with { View = ObjectView.Create(s, Pods) } : s).ToList(), 500, null, null);
        var whole = Assert.Throws<YamlJsonException>(() => YamlJson.FromJsonNode(ResourceHandler.ListBody(PodsResource, ObjectList.FromStored(list.Stored, 500, null, null))));

        var stream = new FlushCountingStream();
        var pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        var streamed = await Assert.ThrowsAsync<YamlJsonException>(() => ListWriter.WriteYamlAsync(pipe, PodsResource, list, CancellationToken.None));

        Assert.Equal(whole.Message, streamed.Message);
        Assert.Equal(0, pipe.UnflushedBytes);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public async Task Yaml_BigList_IsHandedOverInPieces()
    {
        var list = CachedList(BigListCount);
        var (body, stream) = await WriteAsync(pipe => ListWriter.WriteYamlAsync(pipe, PodsResource, list, CancellationToken.None));

        Assert.True(body.Length > 10 * ListWriter.FlushThreshold, $"the list is only {body.Length} bytes");
        Assert.True(stream.LargestWriteBetweenFlushes <= ListWriter.FlushThreshold + 8192, $"{stream.LargestWriteBetweenFlushes} bytes written before one flush");
        Assert.Equal(BigListCount, YamlJson.ToJsonNode(Encoding.UTF8.GetString(body))!["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("None", false)]
    [InlineData("Metadata", false)]
    [InlineData("Object", false)]
    [InlineData("Metadata", true)]
    [InlineData("Object", true)]
    public async Task Table_IsTheWholeTableWritersBytes(string include, bool pretty)
    {
        var list = CachedList(3, "tok", 2);
        var expected = WholeTable(list, include, pretty);
        var (body, _) = await WriteAsync(pipe => ListWriter.WriteTableAsync(pipe, PodsResource, list, new TableOptions("v1", include), Now, pretty, CancellationToken.None));
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(body));
    }

    [Theory]
    [InlineData("cache")]
    [InlineData("etcd")]
    [InlineData("pretty")]
    [InlineData("table")]
    public async Task BigList_IsHandedOverInPieces_NoneMuchBiggerThanTheThreshold(string how)
    {
        var list = how == "etcd" ? EtcdList(BigListCount) : CachedList(BigListCount);
        var (body, stream) = await WriteAsync(how switch
        {
            "cache" => pipe => ListWriter.WriteCompactAsync(pipe, PodsResource, list, list.Views!, CancellationToken.None),
            "table" => pipe => ListWriter.WriteTableAsync(pipe, PodsResource, list, new TableOptions("v1", "Object"), Now, false, CancellationToken.None),
            _ => pipe => ListWriter.WriteObjectsAsync(pipe, PodsResource, list, how == "pretty", CancellationToken.None),
        });

        Assert.True(body.Length > 10 * ListWriter.FlushThreshold, $"the list is only {body.Length} bytes");
        Assert.True(stream.Flushes >= body.Length / (2 * ListWriter.FlushThreshold), $"{stream.Flushes} flushes for {body.Length} bytes");
        // One item's worth over the threshold at most (items here are well under 4 KB).
        Assert.True(stream.LargestWriteBetweenFlushes <= ListWriter.FlushThreshold + 8192, $"{stream.LargestWriteBetweenFlushes} bytes written before one flush");
        var parsed = JsonNode.Parse(body)!;
        Assert.Equal(BigListCount, parsed[how == "table" ? "rows" : "items"]!.AsArray().Count);
    }

    /// <summary>Counts flushes and the most bytes written between two of them.</summary>
    private sealed class FlushCountingStream : MemoryStream
    {
        private long _sinceFlush;

        public int Flushes { get; private set; }

        public long LargestWriteBetweenFlushes { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

        public override void Write(byte[] buffer, int offset, int count)
        {
            base.Write(buffer, offset, count);
            Note(count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            _sinceFlush = 0;
            return Task.CompletedTask;
        }

        private void Note(int count)
        {
            _sinceFlush += count;
            LargestWriteBetweenFlushes = Math.Max(LargestWriteBetweenFlushes, _sinceFlush);
        }
    }
}
