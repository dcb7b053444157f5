using System.Text.Json.Nodes;
using ApiMachinery.Protobuf;
using ApiMachinery.Serialization;
using static ApiMachinery.Tests.Protobuf.Pb;

namespace ApiMachinery.Tests.Protobuf;

/// <summary>Hand-built protobuf bodies, each aimed at one rule of Go's JSON encoding of the decoded value.</summary>
public sealed class KubeProtobufDecodeTests
{
    private static readonly byte[] Meta = L(1, S(1, "x"));

    public static TheoryData<string, byte[], string> Cases => new()
    {
        {
            // Even with none of the zero fields gogo would write, non-pointer structs appear.
            "namespace, name only",
            Envelope("v1", "Namespace", Meta),
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"spec":{},"status":{}}"""
        },
        {
            "configmap: map keys sorted, the last of a repeated key wins, a pointer to false kept",
            Envelope("v1", "ConfigMap", M(Meta, Entry(2, "b", "2"), Entry(2, "a", "1"), Entry(2, "b", "3"), Entry(2, "A", ""), V(4, 0))),
            """{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"immutable":false,"data":{"A":"","a":"1","b":"3"}}"""
        },
        {
            "secret: map<string, bytes> as base64, a value-less entry as empty",
            Envelope("v1", "Secret", M(Meta, L(2, S(1, "password"), B(2, [0x73, 0x33, 0x63, 0xff])), L(2, S(1, "zero")), S(3, "Opaque"))),
            """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"data":{"password":"czNj/w==","zero":""},"type":"Opaque"}"""
        },
        {
            "deployment: pointer replicas 0 kept, omitempty minReadySeconds 0 dropped, nil selector null",
            Envelope("apps/v1", "Deployment", M(Meta, L(2, V(1, 0), V(5, 0), V(7, 0)))),
            """{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"replicas":0,"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}},"status":{}}"""
        },
        {
            "deployment status: Go struct order (readyReplicas before availableReplicas), not field numbers",
            Envelope("apps/v1", "Deployment", M(Meta, L(3, V(1, 2), V(2, 3), V(4, 1), V(7, 2)))),
            """{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}},"status":{"observedGeneration":2,"replicas":3,"readyReplicas":2,"availableReplicas":1}}"""
        },
        {
            "replicaset status: replicas has no omitempty, so 0 stays",
            Envelope("apps/v1", "ReplicaSet", M(Meta, L(3, V(1, 0)))),
            """{"kind":"ReplicaSet","apiVersion":"apps/v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}},"status":{"replicas":0}}"""
        },
        {
            "times: second precision, nanos dropped; a present zero-second time is 1970; a pointer time",
            Envelope("v1", "Namespace", M(L(1, S(1, "x"), L(8, V(1, 1700000000), V(2, 999_999_999)), L(9, V(1, 0))))),
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":"2023-11-14T22:13:20Z","deletionTimestamp":"1970-01-01T00:00:00Z"},"spec":{},"status":{}}"""
        },
        {
            "time: Go's zero instant (year 1) is null",
            Envelope("v1", "Namespace", L(1, L(8, V(1, -62135596800)))),
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"creationTimestamp":null},"spec":{},"status":{}}"""
        },
        {
            "microtime: six digits, truncated; a non-pointer zero is null",
            Envelope("coordination.k8s.io/v1", "Lease", M(Meta, L(2, S(1, "holder"), L(4, V(1, 1700000000), V(2, 123_456_789))))),
            """{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"holderIdentity":"holder","renewTime":"2023-11-14T22:13:20.123456Z"}}"""
        },
        {
            "events/v1 event: eventTime (MicroTime, no omitempty) zero is null; empty omitempty strings dropped, structs kept",
            Envelope("events.k8s.io/v1", "Event", M(Meta, S(4, "kubelet"), S(5, ""), V(15, 0))),
            """{"kind":"Event","apiVersion":"events.k8s.io/v1","metadata":{"name":"x","creationTimestamp":null},"eventTime":null,"reportingController":"kubelet","regarding":{},"deprecatedSource":{},"deprecatedFirstTimestamp":null,"deprecatedLastTimestamp":null}"""
        },
        {
            "service: IntOrString as a number and as a string; port 0 kept (no omitempty)",
            Envelope("v1", "Service", M(Meta, L(2,
                L(1, S(1, "http"), S(2, "TCP"), V(3, 80), L(4, V(1, 0), V(2, 8080), S(3, ""))),
                L(1, S(1, "named"), L(4, V(1, 1), V(2, 0), S(3, "web")))))),
            """{"kind":"Service","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080},{"name":"named","port":0,"targetPort":"web"}]},"status":{"loadBalancer":{}}}"""
        },
        {
            "pod: quantities as strings, map<string, Quantity> sorted; a value-less quantity is 0",
            Envelope("v1", "Pod", M(Meta, L(2, L(2, S(1, "c"), L(8,
                L(1, S(1, "memory"), L(2, S(1, "64Mi"))),
                L(1, S(1, "cpu"), L(2, S(1, "500m"))),
                L(2, S(1, "cpu"))))))),
            """{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"500m","memory":"64Mi"},"requests":{"cpu":"0"}}}]},"status":{}}"""
        },
        {
            "pod: packed and unpacked repeated int64, negative int32 sign-extended",
            Envelope("v1", "Pod", M(Meta, L(2, L(2, S(1, "c")), L(14, V(4, 1), B(4, [2, 3]), V(2, -1)), V(25, -5)))),
            """{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"containers":[{"name":"c","resources":{}}],"securityContext":{"runAsUser":-1,"supplementalGroups":[1,2,3]},"priority":-5},"status":{}}"""
        },
        {
            "unknown fields of every wire type are skipped, in the envelope too",
            [.. Envelope("v1", "Namespace", M(L(1, S(1, "x"), V(99, 7), S(98, "?"), Tag(97, 1), new byte[8], Tag(96, 5), new byte[4], Tag(95, 3), V(1, 1), Tag(95, 4)), V(50, 1))), .. V(9, 1)],
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"spec":{},"status":{}}"""
        },
        {
            "a message field sent twice merges, as protobuf specifies",
            Envelope("v1", "Namespace", M(L(1, S(1, "x"), Entry(11, "a", "1")), L(1, S(3, "ns"), Entry(11, "b", "2")))),
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","namespace":"ns","creationTimestamp":null,"labels":{"a":"1","b":"2"}},"spec":{},"status":{}}"""
        },
        {
            "rawextension: embedded JSON as is; a missing one is null",
            Envelope("apps/v1", "ControllerRevision", M(Meta, L(2, S(1, """{"spec":{"b":1,"a":[true]}}""")), V(3, 4))),
            """{"kind":"ControllerRevision","apiVersion":"apps/v1","metadata":{"name":"x","creationTimestamp":null},"data":{"spec":{"b":1,"a":[true]}},"revision":4}"""
        },
        {
            "rawextension absent: a struct, so null even under omitempty",
            Envelope("apps/v1", "ControllerRevision", Meta),
            """{"kind":"ControllerRevision","apiVersion":"apps/v1","metadata":{"name":"x","creationTimestamp":null},"data":null,"revision":0}"""
        },
        {
            "managed fields: FieldsV1 embedded, operation and time",
            Envelope("v1", "Namespace", L(1, S(1, "x"), L(17, S(1, "kubectl"), S(2, "Update"), S(3, "v1"), L(4, V(1, 1700000000)), S(6, "FieldsV1"), L(7, S(1, """{"f:metadata":{}}"""))))),
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null,"managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1","time":"2023-11-14T22:13:20Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{}}}]},"spec":{},"status":{}}"""
        },
        {
            "subject access review: map<string, ExtraValue> as arrays, an empty one as []",
            Envelope("authorization.k8s.io/v1", "SubjectAccessReview", M(Meta, L(2, S(3, "alice"), L(5, S(1, "scopes"), L(2, S(1, "a"), S(1, "b"))), L(5, S(1, "none"), L(2))))),
            """{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"name":"x","creationTimestamp":null},"spec":{"user":"alice","extra":{"none":[],"scopes":["a","b"]}},"status":{"allowed":false}}"""
        },
        {
            "delete options in a group version: pointers and a slice",
            Envelope("apps/v1", "DeleteOptions", M(V(1, 0), S(4, "Foreground"), S(5, "All"))),
            """{"kind":"DeleteOptions","apiVersion":"apps/v1","gracePeriodSeconds":0,"propagationPolicy":"Foreground","dryRun":["All"]}"""
        },
        {
            "status: details and causes",
            Envelope("v1", "Status", M(L(1), S(2, "Failure"), S(3, "nope"), S(4, "NotFound"), L(5, S(1, "x"), S(3, "pods"), L(4, S(1, "FieldValueRequired"), S(2, "Required value"), S(3, "spec"))), V(6, 404))),
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nope","reason":"NotFound","details":{"name":"x","kind":"pods","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec"}]},"code":404}"""
        },
        {
            "strings: invalid UTF-8 becomes U+FFFD, as Go's encoder writes it",
            Envelope("v1", "Namespace", L(1, B(1, [0x61, 0xff, 0x62]))),
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a\ufffdb","creationTimestamp":null},"spec":{},"status":{}}"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_HandBuiltBody_WritesGoJson(string name, byte[] body, string json)
    {
        var actual = KubeProtobuf.Decode(body).ToJsonString(GoJsonEncoder.SerializerOptions);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(actual)) && Normalize(json) == actual, $"{name}\nexpected {json}\nactual   {actual}");
    }

    [Fact]
    public void Decode_KindAndApiVersion_ComeFirstFromTheEnvelope()
    {
        var obj = KubeProtobuf.Decode(Envelope("v1", "ConfigMap", Meta));

        Assert.Equal(["kind", "apiVersion", "metadata"], obj.Select(p => p.Key).Take(3));
        Assert.Equal("ConfigMap", (string?)obj["kind"]);
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "JSON, not protobuf", "{}"u8.ToArray(), "expected prefix [107 56 115 0]" },
        { "magic only", "k8s\0"u8.ToArray(), "empty body" },
        { "unknown kind", Envelope("example.com/v1", "Widget", []), "no kind \"Widget\" is registered for version \"example.com/v1\"" },
        { "no kind", Envelope("v1", "", []), "'Kind' is missing" },
        { "no apiVersion", Envelope("", "Pod", []), "'apiVersion' is missing" },
        { "truncated", Envelope("v1", "ConfigMap", M(Meta, Entry(2, "a", "b")))[..^12], "unexpected EOF" },
        { "length past the end", [.. "k8s\0"u8, 0x12, 0x05, 0x0a], "unexpected EOF" },
        { "varint too long", [.. "k8s\0"u8, .. Enumerable.Repeat((byte)0xff, 11)], "overflow" },
        { "field number 0", Envelope("v1", "Namespace", [0x02, 0x00]), "illegal field number 0" },
        { "wire type 7", Envelope("v1", "Namespace", [0x7f]), "illegal wireType 7" },
        { "string field sent as a varint", Envelope("v1", "Namespace", L(1, V(1, 5))), "wrong wireType = 0 for field meta/v1.ObjectMeta.name" },
        { "raw extension not JSON", Envelope("apps/v1", "ControllerRevision", L(2, S(1, "not json"))), "not JSON" },
        { "empty quantity", Envelope("v1", "Pod", L(2, L(2, L(8, L(1, S(1, "cpu"), L(2, S(1, ""))))))), "quantities must match" },
        { "IntOrString of type 2", Envelope("v1", "Service", L(2, L(1, L(4, V(1, 2))))), "impossible IntOrString.Type 2" },
        { "time past year 9999", Envelope("v1", "Namespace", L(1, L(8, V(1, 300_000_000_000)))), "outside years 1 to 9999" },
        { "unterminated group", Envelope("v1", "Namespace", Tag(5, 3)), "unexpected EOF in a group" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Decode_MalformedBody_ThrowsProtobufDecodeException(string name, byte[] body, string message)
    {
        var e = Assert.Throws<ProtobufDecodeException>(() => KubeProtobuf.Decode(body));

        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{name}: {e.Message}");
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void Decode_RecursiveMessageNestedTooDeeply_IsRefused()
    {
        // The built-in types do not recurse (see KubeProtobufSchemaTests); the guard is for a schema that would.
        var (messages, _) = KubeProtobufSchema.Parse("t.R\t1\tr\tomitempty,ptr\tt.R\n");
        var body = Array.Empty<byte>();
        for (var i = 0; i < 100; i++)
        {
            body = L(1, body);
        }

        var e = Assert.Throws<ProtobufDecodeException>(() => ProtobufJsonDecoder.DecodeInto(messages["t.R"], body, [], 0));
        Assert.Contains("nested more than 64 deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_Duration_AsGoWritesIt()
    {
        // No GA kind has a metav1.Duration field today; a schema row stands in for one.
        var (messages, _) = KubeProtobufSchema.Parse("t.D\t1\ttimeout\t-\tduration\nt.D\t2\tabsent\t-\tduration\n");
        var obj = new JsonObject();

        ProtobufJsonDecoder.DecodeInto(messages["t.D"], L(1, V(1, 3_723_500_000_000)), obj, 0);

        Assert.Equal("""{"timeout":"1h2m3.5s","absent":"0s"}""", obj.ToJsonString());
    }

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString(GoJsonEncoder.SerializerOptions);
}
