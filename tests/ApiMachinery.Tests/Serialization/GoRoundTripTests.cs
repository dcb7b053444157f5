using System.Text.Json.Nodes;
using ApiMachinery.Schema;

namespace ApiMachinery.Tests.Serialization;

/// <summary>The shape kube-apiserver's decode into Go structs and encode back gives an object.</summary>
public sealed class GoRoundTripTests
{
    private static JsonObject Normalized(string group, string version, string kind, string json)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        GoRoundTrip.Normalize(obj, GoTypes.Builtin.ForKind(group, version, kind)!);
        return obj;
    }

    [Fact]
    public void NewNode_GetsItsStructsAndTheirZeroFields()
    {
        var node = Normalized("", "v1", "Node", """{"kind":"Node","apiVersion":"v1","metadata":{"name":"n1"}}""");
        Assert.Equal("{}", node["spec"]!.ToJsonString());
        Assert.Equal("""{"kubeletEndpoint":{"Port":0}}""", node["status"]!["daemonEndpoints"]!.ToJsonString());
        var info = node["status"]!["nodeInfo"]!.AsObject();
        Assert.Equal(["machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture"],
            info.Select(p => p.Key));
        Assert.All(info, p => Assert.Equal("", p.Value!.GetValue<string>()));
        // metadata's creationTimestamp is omitzero; nothing else appears in metadata.
        Assert.Equal("""{"name":"n1"}""", node["metadata"]!.ToJsonString());
    }

    [Fact]
    public void OmitEmpty_DropsEmptyValues_ButKeepsPointersToZero()
    {
        var deployment = Normalized("apps", "v1", "Deployment", """
            {"metadata":{"name":"d","labels":{},"generation":0,"finalizers":[]},
             "spec":{"replicas":0,"paused":false,"minReadySeconds":0,"selector":{"matchLabels":{"a":"b"}},
                     "template":{"metadata":{"labels":{"a":"b"}},"spec":{"nodeName":"","containers":[{"name":"c","image":"i","ports":[]}]}}}}
            """);
        Assert.Equal("""{"name":"d"}""", deployment["metadata"]!.ToJsonString());
        var spec = deployment["spec"]!.AsObject();
        Assert.Equal(0, spec["replicas"]!.GetValue<int>()); // *int32: a pointer to 0 is kept
        Assert.False(spec.ContainsKey("paused"));
        Assert.False(spec.ContainsKey("minReadySeconds"));
        Assert.Equal("{}", spec["strategy"]!.ToJsonString());
        var container = spec["template"]!["spec"]!["containers"]![0]!.AsObject();
        Assert.False(container.ContainsKey("ports"));
        Assert.Equal("{}", container["resources"]!.ToJsonString());
        Assert.False(spec["template"]!["spec"]!.AsObject().ContainsKey("nodeName"));
        Assert.Equal("{}", deployment["status"]!.ToJsonString());
    }

    [Fact]
    public void FieldsWithoutOmitEmpty_GetTheirZeroValues_AndNullBecomesTheZero()
    {
        var pod = Normalized("", "v1", "Pod", """
            {"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","env":[{"name":"X","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}}]}]},
             "status":{"conditions":[{"type":"Ready","status":"True"}],"hostIP":null}}
            """);
        var env = pod["spec"]!["containers"]![0]!["env"]![0]!["valueFrom"]!["resourceFieldRef"]!;
        Assert.Equal("0", env["divisor"]!.GetValue<string>()); // a zero resource.Quantity
        var condition = pod["status"]!["conditions"]![0]!.AsObject();
        Assert.True(condition.ContainsKey("lastProbeTime"));
        Assert.Null(condition["lastProbeTime"]); // a zero metav1.Time writes null
        Assert.False(pod["status"]!.AsObject().ContainsKey("hostIP"));
    }

    [Fact]
    public void NilSlicesWithoutOmitEmpty_AreNull_AndUnknownFieldsAreLeftAlone()
    {
        var role = Normalized("rbac.authorization.k8s.io", "v1", "ClusterRole", """{"metadata":{"name":"r"},"extra":{"a":1}}""");
        Assert.True(role.ContainsKey("rules"));
        Assert.Null(role["rules"]);
        Assert.Equal("""{"a":1}""", role["extra"]!.ToJsonString());
    }

    [Fact]
    public void NormalizingTwice_ChangesNothing()
    {
        var json = """{"metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}}""";
        var once = Normalized("", "v1", "Service", json);
        var twice = once.DeepClone().AsObject();
        GoRoundTrip.Normalize(twice, GoTypes.Builtin.ForKind("", "v1", "Service")!);
        Assert.Equal(once.ToJsonString(), twice.ToJsonString());
        Assert.Equal("""{"loadBalancer":{}}""", once["status"]!.ToJsonString());
        Assert.Equal(0, once["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
    }

    [Fact]
    public void StructsInsideMapsAndLists_AreNormalizedToo()
    {
        var slice = Normalized("resource.k8s.io", "v1", "ResourceSlice", """
            {"metadata":{"name":"s"},"spec":{"driver":"d","pool":{"name":"p","resourceSliceCount":1},
             "devices":[{"name":"gpu","capacity":{"memory":{},"cores":{"value":"8"}}}],
             "sharedCounters":[{"name":"c","counters":{"mem":null}}]}}
            """);
        var device = slice["spec"]!["devices"]![0]!.AsObject();
        Assert.Equal("""{"memory":{"value":"0"},"cores":{"value":"8"}}""", device["capacity"]!.ToJsonString());
        // A null map value of a struct type decodes to the struct's zero value.
        Assert.Equal("""{"mem":{"value":"0"}}""", slice["spec"]!["sharedCounters"]![0]!["counters"]!.ToJsonString());
        // pool.generation is a plain int64 without omitempty: written as 0.
        Assert.Equal(0, slice["spec"]!["pool"]!["generation"]!.GetValue<int>());
    }
}
