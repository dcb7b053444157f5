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
        views.Prepare(stored.Key, 10, written, encoded);

        var prepared = (ObjectView)views.Decorate(stored);
        var parsed = ObjectView.Create(stored, Pods);

        Assert.Equal(Served(parsed), Served(prepared));
        Assert.Equal(parsed.IndexKeys, prepared.IndexKeys);
        Assert.Equal(parsed.Labels, prepared.Labels);
        Assert.Equal("n1", prepared.FieldValue("spec.nodeName"));
        Assert.Equal("10", JsonNode.Parse(Served(prepared))!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Decorate_OtherBytesAtThatRevision_AreParsedNotTakenFromThePreparation()
    {
        var views = new OwnWriteViews(Pods);
        var (_, written, encoded) = Write("a", 10, app: "prepared");
        var (other, _, _) = Write("a", 10, app: "stored");
        views.Prepare(other.Key, 10, written, encoded);

        var view = (ObjectView)views.Decorate(other);

        Assert.Equal("stored", view.Labels["app"]);
        Assert.Contains("label:app=stored", view.IndexKeys);
    }

    [Fact]
    public void Prepare_AfterItsEventWasCached_IsDropped_AndLeftoversStayBounded()
    {
        var views = new OwnWriteViews(Pods);
        var (late, lateWritten, lateEncoded) = Write("late", 5, app: "prepared");
        views.Decorate(Write("newer", 9).Stored);

        // Too late to matter: its event (revision 5) is older than what the cache has seen.
        views.Prepare(late.Key, 5, lateWritten, lateEncoded);
        var relisted = late with { Value = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(late.Value.Span).Replace("prepared", "relisted", StringComparison.Ordinal)) };
        Assert.Equal("relisted", ((ObjectView)views.Decorate(relisted)).Labels["app"]);

        // Preparations whose events never come are pruned once they pile up.
        for (var revision = 100; revision < 1100; revision++)
        {
            var (stored, written, encoded) = Write($"p{revision}", revision);
            views.Prepare(stored.Key, revision, written, encoded);
            if (revision % 2 == 0)
            {
                views.Decorate(stored);
            }
        }

        Assert.InRange(views.PendingCount, 0, 257);
    }
}
