using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiServer.Registry;
using ApiServer.Registry.Strategies;
using Storage;

namespace ApiServer.Tests.Registry;

/// <summary>
/// The watch cache's view of a kind that selects on metadata only (ConfigMaps) is read in one pass
/// over the stored bytes (issue 19's cold start); it must say exactly what a parse of the object says:
/// the served bytes, the labels, field values, index keys and the decoded object.
/// </summary>
public sealed class ObjectViewTests
{
    private static ResourceStrategy Strategy(string plural) =>
        StrategyFactory.For(ResourceTable.LoadBuiltin().All.Single(r => r.Group == "" && r.Plural == plural));

    private static readonly ResourceStrategy ConfigMaps = Strategy("configmaps");

    private static StoredObject Stored(string json, long revision = 42) =>
        new("/registry/configmaps/ns/cm", Encoding.UTF8.GetBytes(json), revision, 7);

    private static string Served(ObjectView view)
    {
        var buffer = new ArrayBufferWriter<byte>();
        view.WriteTo(buffer);
        Assert.Equal(view.Length, buffer.WrittenCount);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void AssertSameAsParsed(string json)
    {
        var stored = Stored(json);
        var read = ObjectView.Create(stored, ConfigMaps);
        var parsed = ObjectView.Parse(stored, ConfigMaps);
        Assert.Equal(Served(parsed), Served(read));
        Assert.Equal(parsed.Labels.ToArray(), read.Labels.ToArray());
        Assert.Equal(parsed.IndexKeys, read.IndexKeys);
        foreach (var field in ConfigMaps.SupportedFields)
        {
            Assert.Equal(parsed.FieldValue(field), read.FieldValue(field));
        }

        Assert.Equal(parsed.Decode().ToJsonString(), read.Decode().ToJsonString());
        foreach (var (key, value) in parsed.Labels)
        {
            Assert.True(read.Labels.TryGetValue(key, out var got));
            Assert.Equal(value, got);
            Assert.True(read.Labels.ContainsKey(key));
            Assert.Equal(value, read.Labels[key]);
        }

        Assert.False(read.Labels.ContainsKey("not-a-label"));
    }

    [Theory]
    [InlineData("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","namespace":"ns","uid":"u","creationTimestamp":"2026-12-01T00:00:00Z","labels":{"app":"web","tier":"t1"}},"data":{"a":"b"}}""")]
    [InlineData("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","namespace":"ns"},"data":{"a":"b"}}""")]
    [InlineData("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{},"data":{}}""")]
    [InlineData("""{"data":{"metadata":{"name":"inner"}},"metadata":{"annotations":{"labels":"x"},"ownerReferences":[{"name":"o"}],"name":"cm","labels":{}},"kind":"ConfigMap"}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"c\u006d","namespace":"n\"s","labels":{"a\/b":"\u00e9","k":""}}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm","labels":{"app":"web"}},"binaryData":{"x":"AAEC"},"immutable":true,"n":[1,2.5,null,false,{"a":[]}]}""")]
    // What the fast read declines and leaves to the parse: a stored resourceVersion, non-string values, repeats, no metadata object.
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm","resourceVersion":"5","labels":{"app":"web"}}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm","labels":{"app":"web","n":1}}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm","labels":null}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":7,"namespace":"ns"}}""")]
    [InlineData("""{"kind":"ConfigMap"}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":null}""")]
    public void Create_ConfigMap_SaysWhatAParseSays(string json) => AssertSameAsParsed(json);

    [Theory]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm"}} x""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm"},"data":{"a":}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{"name":"cm"}""")]
    public void Create_MalformedJson_FailsAsAParseFails(string json)
    {
        Assert.ThrowsAny<JsonException>(() => ObjectView.Parse(Stored(json), ConfigMaps));
        Assert.ThrowsAny<JsonException>(() => ObjectView.Create(Stored(json), ConfigMaps));
    }

    [Fact]
    public void Create_NotAnObject_FailsAsAParseFails()
    {
        Assert.Throws<InvalidDataException>(() => ObjectView.Parse(Stored("[1]"), ConfigMaps));
        Assert.Throws<InvalidDataException>(() => ObjectView.Create(Stored("[1]"), ConfigMaps));
    }

    [Fact]
    public void MetadataScan_DeclinesWhatAParseMightReadOtherwise()
    {
        Assert.True(MetadataScan.TryRead("""{"metadata":{"name":"a","labels":{"x":"1"}}}"""u8, out var scan));
        Assert.Equal(["x", "1"], scan.Labels);
        Assert.Equal("a", scan.Name);
        Assert.Null(scan.Namespace);
        Assert.False(scan.Empty);
        Assert.True(MetadataScan.TryRead("""{"metadata":{}}"""u8, out scan));
        Assert.True(scan.Empty);
        Assert.Equal("{\"metadata\":{".Length, scan.BodyAt);

        Assert.False(MetadataScan.TryRead("""{"metadata":{"labels":{"x":"1","x":"2"}}}"""u8, out _));
        Assert.False(MetadataScan.TryRead("""{"metadata":{"name":"a","name":"b"}}"""u8, out _));
        Assert.False(MetadataScan.TryRead("""{"metadata":{"labels":{},"labels":{}}}"""u8, out _));
        Assert.False(MetadataScan.TryRead("""{"metadata":{},"metadata":{}}"""u8, out _));
        Assert.False(MetadataScan.TryRead("""{"metadata":{"resourceVersion":"1"}}"""u8, out _));
        Assert.False(MetadataScan.TryRead("""{"metadata":[]}"""u8, out _));
        Assert.False(MetadataScan.TryRead("""{"kind":"x"}"""u8, out _));
    }

    [Fact]
    public void Create_RepeatedLabels_ShareTheirStrings()
    {
        var a = ObjectView.Create(Stored("""{"metadata":{"name":"a","namespace":"team-a","labels":{"app":"web"}}}"""), ConfigMaps);
        var b = ObjectView.Create(Stored("""{"metadata":{"name":"b","namespace":"team-a","labels":{"app":"web"}}}"""), ConfigMaps);

        Assert.Same(a.Labels.Keys.Single(), b.Labels.Keys.Single());
        Assert.Same(a.Labels["app"], b.Labels["app"]);
        Assert.Same(a.IndexKeys[0], b.IndexKeys[0]);
        Assert.Equal("label:app=web", a.IndexKeys[0]);
        Assert.Same(a.FieldValue("metadata.namespace"), b.FieldValue("metadata.namespace"));
    }

    /// <summary>
    /// Kinds with field selectors of their own (pods, events, secrets, nodes, ...) are read in the same
    /// pass: their metadata, and copies of just the members their fields are read from.
    /// </summary>
    [Theory]
    [InlineData("pods", """{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"ns","labels":{"app":"web"},"managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]},"spec":{"containers":[{"name":"c","image":"i"}],"nodeName":"node-1","restartPolicy":"Always","schedulerName":"default-scheduler","serviceAccountName":"default","hostNetwork":true},"status":{"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}],"conditions":[{"type":"Ready","status":"True"}]}}""")]
    [InlineData("pods", """{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"ns"},"spec":{"containers":[]},"status":{}}""")]
    [InlineData("pods", """{"kind":"Pod","metadata":{"name":"p"},"status":{"phase":"Pending","nominatedNodeName":"n2"},"spec":{"hostNetwork":false,"nodeName":"n1"}}""")]
    [InlineData("pods", """{"kind":"Pod","metadata":{"name":"p"},"spec":{"hostNetwork":"true","nodeName":7,"schedulerName":null,"restartPolicy":{"a":1}}}""")]
    [InlineData("pods", """{"kind":"Pod","metadata":{"name":"p"}}""")]
    // Declined (parsed instead): a repeated member on a read path, or no object where members below are read.
    [InlineData("pods", """{"kind":"Pod","metadata":{"name":"p"},"spec":null,"status":[]}""")]
    [InlineData("events", """{"kind":"Event","metadata":{"name":"e","namespace":"ns"},"involvedObject":{"kind":"Pod","namespace":"ns","name":"p","uid":"u","apiVersion":"v1","resourceVersion":"5","fieldPath":"spec.containers{c}"},"reason":"Started","reportingComponent":"kubelet","source":{"component":"kubelet","host":"n1"},"type":"Normal","count":3}""")]
    [InlineData("events", """{"kind":"Event","metadata":{"name":"e"},"source":"x","involvedObject":{}}""")]
    [InlineData("secrets", """{"kind":"Secret","metadata":{"name":"s","namespace":"ns","labels":{"a":"b"}},"type":"kubernetes.io/tls","data":{"tls.crt":"AAEC"}}""")]
    [InlineData("secrets", """{"kind":"Secret","metadata":{"name":"s"},"data":{}}""")]
    [InlineData("nodes", """{"kind":"Node","metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"}},"spec":{"unschedulable":true},"status":{"capacity":{"cpu":"4"}}}""")]
    [InlineData("namespaces", """{"kind":"Namespace","metadata":{"name":"ns"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}""")]
    [InlineData("services", """{"kind":"Service","metadata":{"name":"s","namespace":"ns"},"spec":{"clusterIP":"10.0.0.1","type":"ClusterIP","ports":[{"port":80}]}}""")]
    [InlineData("replicationcontrollers", """{"kind":"ReplicationController","metadata":{"name":"r","namespace":"ns"},"spec":{"replicas":3},"status":{"replicas":2}}""")]
    public void Create_KindWithFieldsOfItsOwn_SaysWhatAParseSays(string plural, string json)
    {
        var strategy = Strategy(plural);
        Assert.True(strategy.ReadsFactsInOnePass);
        var stored = new StoredObject($"/registry/{plural}/ns/x", Encoding.UTF8.GetBytes(json), 42, 7);
        var read = ObjectView.Create(stored, strategy);
        var parsed = ObjectView.Parse(stored, strategy);
        Assert.Equal(Served(parsed), Served(read));
        Assert.Equal(parsed.Labels.ToArray(), read.Labels.ToArray());
        Assert.Equal(parsed.IndexKeys, read.IndexKeys);
        Assert.True(strategy.SupportedFields.Count > 2);
        foreach (var field in strategy.SupportedFields)
        {
            Assert.Equal(parsed.FieldValue(field), read.FieldValue(field));
        }

        Assert.Equal(parsed.Decode().ToJsonString(), read.Decode().ToJsonString());
    }

    [Theory]
    [InlineData("""{"kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"a"},"spec":{"nodeName":"b"}}""")]
    [InlineData("""{"kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"a","nodeName":"b"}}""")]
    public void Create_PodWithRepeatedMembers_FailsAsAParseFails(string json)
    {
        var stored = new StoredObject("/registry/pods/ns/p", Encoding.UTF8.GetBytes(json), 42, 7);
        var parse = Record.Exception(() => ObjectView.Parse(stored, Strategy("pods")));
        Assert.NotNull(parse);
        Assert.IsType(parse.GetType(), Record.Exception(() => ObjectView.Create(stored, Strategy("pods"))));
    }

    [Fact]
    public void Create_Pod_ReadsItsFieldsWithoutAParse()
    {
        var pods = Strategy("pods");
        Assert.True(MetadataScan.TryRead(
            """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}],"nodeName":"node-1","hostNetwork":true},"status":{"phase":"Running","conditions":[]}}"""u8,
            pods.FactPaths, out var scan));
        // Only the members the pod's fields are read from are copied.
        Assert.Equal("""{"spec":{"nodeName":"node-1","hostNetwork":true},"status":{"phase":"Running"}}""", scan.Fields!.ToJsonString());
        Assert.False(MetadataScan.TryRead("""{"metadata":{"name":"p"},"spec":{"nodeName":"a"},"spec":{}}"""u8, pods.FactPaths, out _));
        Assert.False(MetadataScan.TryRead("""{"metadata":{"name":"p"},"status":"x"}"""u8, pods.FactPaths, out _));

        var a = ObjectView.Create(new StoredObject("/registry/pods/ns/a", """{"metadata":{"name":"a","namespace":"ns"},"spec":{"nodeName":"node-1"},"status":{"phase":"Running"}}"""u8.ToArray(), 5, 5), pods);
        var b = ObjectView.Create(new StoredObject("/registry/pods/ns/b", """{"metadata":{"name":"b","namespace":"ns"},"spec":{"nodeName":"node-1"},"status":{"phase":"Running"}}"""u8.ToArray(), 6, 6), pods);
        Assert.Equal("node-1", a.FieldValue("spec.nodeName"));
        Assert.Equal(["field:spec.nodeName=node-1"], a.IndexKeys);
        // Repeated values are one string per cache, not one per pod.
        Assert.Same(a.FieldValue("spec.nodeName"), b.FieldValue("spec.nodeName"));
        Assert.Same(a.FieldValue("status.phase"), b.FieldValue("status.phase"));
        Assert.Same(a.IndexKeys[0], b.IndexKeys[0]);
    }

    [Fact]
    public void Decode_GivesAFreshObjectAtTheRevision()
    {
        var view = ObjectView.Create(Stored("""{"kind":"ConfigMap","metadata":{"name":"cm","labels":{"app":"web"}}}""", 99), ConfigMaps);
        var first = view.Decode();
        first["metadata"]!["name"] = "changed";

        var second = view.Decode();
        Assert.Equal("cm", second["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("99", second["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("99", JsonNode.Parse(Served(view))!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }
}
