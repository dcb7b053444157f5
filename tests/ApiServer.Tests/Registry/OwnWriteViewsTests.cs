using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Tests.Registry;

public sealed class OwnWriteViewsTests
{
    private static readonly ResourceStrategy Pods = StrategyFactory.For(ResourceTable.LoadBuiltin().All.Single(r => r.Group == "" && r.Plural == "pods"));

    private static JsonObject Pod(string name, string app, string node) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "ns", ["labels"] = new JsonObject { ["app"] = app } },
        ["spec"] = new JsonObject { ["nodeName"] = node, ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox" }) },
    };

    private static (StoredObject Stored, JsonObject Written, EncodedObject Encoded) Write(string name, long revision, string app = "web", string node = "n1")
    {
        var obj = Pod(name, app, node);
        var encoded = ObjectCodec.EncodeForStorage(obj);
        ObjectCodec.SetResourceVersion(obj, revision);
        // The watch event carries its own copy of the bytes.
        return (new StoredObject($"/registry/pods/ns/{name}", encoded.Bytes.ToArray(), revision, revision), obj, encoded);
    }

    private static string Served(ICachedView view)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ((ObjectView)view).WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Decorate_PreparedWrite_GivesTheViewParsingWouldGive()
    {
        var views = new OwnWriteViews(Pods);
        var (stored, written, encoded) = Write("a", 10);
        OwnWriteViews.Stored(views.Prepare(stored.Key, written, encoded), 10);

        var prepared = (ObjectView)views.Decorate(stored);
        var parsed = ObjectView.Create(stored, Pods);

        Assert.Equal(0, views.PendingCount);
        Assert.Equal(Served(parsed), Served(prepared));
        Assert.Equal(parsed.IndexKeys, prepared.IndexKeys);
        Assert.Equal(parsed.Labels, prepared.Labels);
        Assert.Equal("n1", prepared.FieldValue("spec.nodeName"));
        Assert.Equal("10", JsonNode.Parse(Served(prepared))!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Decorate_EventBeforeTheWriteHearsBack_TakesThePreparation()
    {
        var views = new OwnWriteViews(Pods);
        var (stored, written, encoded) = Write("a", 10);
        var preparation = views.Prepare(stored.Key, written, encoded);

        // etcd's watch event can arrive before the Txn's answer reaches the writer.
        var view = (ObjectView)views.Decorate(stored);
        OwnWriteViews.Stored(preparation, 10);

        Assert.Equal(0, views.PendingCount);
        Assert.Equal(Served(ObjectView.Create(stored, Pods)), Served(view));
    }

    [Fact]
    public void Decorate_OtherBytesForThatKey_AreParsed_AndAFailedWriteForgetsItsPreparation()
    {
        var views = new OwnWriteViews(Pods);
        var (_, written, encoded) = Write("a", 10, app: "prepared");
        var (other, _, _) = Write("a", 10, app: "stored");
        var preparation = views.Prepare(other.Key, written, encoded);

        var view = (ObjectView)views.Decorate(other);

        Assert.Equal("stored", view.Labels["app"]);
        Assert.Contains("label:app=stored", view.IndexKeys);
        Assert.Equal(1, views.PendingCount);
        views.Forget(preparation);
        Assert.Equal(0, views.PendingCount);
    }

    [Fact]
    public void Preparations_WhoseEventsNeverCome_ArePrunedOnceTheCacheIsPastThem_InFlightOnesStay()
    {
        var views = new OwnWriteViews(Pods);
        var (inFlight, inFlightWritten, inFlightEncoded) = Write("in-flight", 1);
        views.Prepare(inFlight.Key, inFlightWritten, inFlightEncoded);

        for (var revision = 100; revision < 1100; revision++)
        {
            var (stored, written, encoded) = Write($"p{revision}", revision);
            OwnWriteViews.Stored(views.Prepare(stored.Key, written, encoded), revision);
            if (revision % 2 == 0)
            {
                views.Decorate(stored);
            }
        }

        var pending = views.PendingCount;
        Assert.InRange(pending, 1, 257);

        // The write still in flight kept its preparation through every pruning: its event takes it.
        views.Decorate(inFlight);
        Assert.Equal(pending - 1, views.PendingCount);
    }
}
