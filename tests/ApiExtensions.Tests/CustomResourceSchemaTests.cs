using System.Text.Json.Nodes;
using ApiExtensions.Schema;

namespace ApiExtensions.Tests;

/// <summary>Pruning, defaulting and validation of custom resources through the compiled schema.</summary>
public class CustomResourceSchemaTests
{
    private static JsonObject Json(string s) => (JsonObject)JsonNode.Parse(s)!;

    private static CustomResourceSchema Compile(string s) => CustomResourceSchema.Compile(Json(s));

    public static TheoryData<string, string, string, string[]> PruneCases() => new()
    {
        {
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"}}}}}""",
            """{"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},"spec":{"a":"x","b":1},"extra":true}""",
            """{"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},"spec":{"a":"x"}}""",
            ["extra", "spec.b"]
        },
        {
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"l":{"type":"array","items":{"type":"object","properties":{"a":{"type":"string"}}}}}}}}""",
            """{"spec":{"l":[{"a":"x"},{"a":"y","z":{"deep":1}}]}}""",
            """{"spec":{"l":[{"a":"x"},{"a":"y"}]}}""",
            ["spec.l[1].z"]
        },
        {
            """{"type":"object","properties":{"spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"known":{"type":"object","properties":{"a":{"type":"string"}}}}}}}""",
            """{"spec":{"anything":{"goes":1},"known":{"a":"x","b":2}}}""",
            """{"spec":{"anything":{"goes":1},"known":{"a":"x"}}}""",
            ["spec.known.b"]
        },
        {
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"object","properties":{"v":{"type":"integer"}}}}}}}}""",
            """{"spec":{"m":{"k1":{"v":1,"w":2}}}}""",
            """{"spec":{"m":{"k1":{"v":1}}}}""",
            ["spec.m.k1.w"]
        },
        {
            // Nulls without nullable or a default are dropped; nullable ones stay.
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string","nullable":true}}}}}""",
            """{"spec":{"a":null,"b":null}}""",
            """{"spec":{"b":null}}""",
            []
        },
        {
            // Embedded resources keep apiVersion/kind/metadata, lose unknown metadata fields.
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}}}""",
            """{"metadata":{"name":"n","bogus":1},"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","junk":true},"spec":{"x":1}}}}""",
            """{"metadata":{"name":"n"},"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"x":1}}}}""",
            ["metadata.bogus", "spec.template.metadata.junk"]
        },
    };

    [Theory]
    [MemberData(nameof(PruneCases))]
    public void PrunesLikeKube(string schema, string input, string expected, string[] unknown)
    {
        var obj = Json(input);
        var paths = Compile(schema).Prune(obj);
        Assert.True(JsonNode.DeepEquals(Json(expected), obj), obj.ToJsonString());
        Assert.Equal(unknown, paths);
    }

    public static TheoryData<string, string, string> DefaultCases() => new()
    {
        {
            """{"type":"object","properties":{"spec":{"type":"object","default":{},"properties":{"replicas":{"type":"integer","default":1},"mode":{"type":"string","default":"fast"}}}}}""",
            """{}""",
            """{"spec":{"replicas":1,"mode":"fast"}}"""
        },
        {
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1}}}}}""",
            """{"spec":{"replicas":5}}""",
            """{"spec":{"replicas":5}}"""
        },
        {
            // A non-nullable null is defaulted; a nullable null is kept.
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string","default":"x"},"b":{"type":"string","nullable":true,"default":"y"}}}}}""",
            """{"spec":{"a":null,"b":null}}""",
            """{"spec":{"a":"x","b":null}}"""
        },
        {
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"ports":{"type":"array","items":{"type":"object","properties":{"protocol":{"type":"string","default":"TCP"},"port":{"type":"integer"}}}}}}}}""",
            """{"spec":{"ports":[{"port":80},{"port":53,"protocol":"UDP"}]}}""",
            """{"spec":{"ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}}"""
        },
        {
            """{"type":"object","properties":{"spec":{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"object","properties":{"w":{"type":"integer","default":7}}}}}}}}""",
            """{"spec":{"m":{"a":{},"b":{"w":1}}}}""",
            """{"spec":{"m":{"a":{"w":7},"b":{"w":1}}}}"""
        },
    };

    [Theory]
    [MemberData(nameof(DefaultCases))]
    public void DefaultsLikeKube(string schema, string input, string expected)
    {
        var obj = Json(input);
        Compile(schema).ApplyDefaults(obj);
        Assert.True(JsonNode.DeepEquals(Json(expected), obj), obj.ToJsonString());
    }

    [Fact]
    public void DefaultsAreCopiesNotShared()
    {
        var schema = Compile("""{"type":"object","properties":{"spec":{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"},"default":["a"]}}}}}""");
        var first = Json("""{"spec":{}}""");
        var second = Json("""{"spec":{}}""");
        schema.ApplyDefaults(first);
        schema.ApplyDefaults(second);
        ((JsonArray)first["spec"]!["tags"]!).Add("b");
        Assert.Equal("""["a"]""", second["spec"]!["tags"]!.ToJsonString());
    }

    public static TheoryData<string, string, string?, string[]> ValidateCases() => new()
    {
        {
            ListMapSchema,
            """{"spec":{"ports":[{"name":"http","port":80},{"name":"http","port":81},{"name":"dns","port":53}]}}""",
            null,
            ["""spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}"""]
        },
        {
            ListMapSchema,
            """{"spec":{"tags":["a","b","a","a"]}}""",
            null,
            ["""spec.tags[2]: Duplicate value: "a" """]
        },
        {
            // Ratcheting: an old object that already repeated its keys is not held to them.
            ListMapSchema,
            """{"spec":{"tags":["a","a","b"]}}""",
            """{"spec":{"tags":["a","a"]}}""",
            []
        },
        {
            EmbeddedSchema,
            """{"spec":{"template":{"metadata":{"name":"a/b"}}}}""",
            null,
            [
                "spec.template.apiVersion: Required value",
                "spec.template.kind: Required value",
                """spec.template.metadata.name: Invalid value: "a/b": may not contain '/'""",
            ]
        },
        {
            EmbeddedSchema,
            """{"spec":{"template":{"apiVersion":"a/b/c","kind":"my_kind","metadata":{"name":"ok"}}}}""",
            null,
            [
                """spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c""",
                """spec.template.kind: Invalid value: "my_kind": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')""",
            ]
        },
        {
            EmbeddedSchema,
            """{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"b"}}}}}""",
            null,
            []
        },
    };

    private const string ListMapSchema = """
        {"type":"object","properties":{"spec":{"type":"object","properties":{
          "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                   "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"port":{"type":"integer"}}}},
          "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}}}
        """;

    private const string EmbeddedSchema = """
        {"type":"object","properties":{"spec":{"type":"object","properties":{
          "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}}}
        """;

    [Theory]
    [MemberData(nameof(ValidateCases))]
    public void ValidatesLikeKube(string schema, string input, string? old, string[] expected)
    {
        var errors = Compile(schema).Validate(Json(input), old is null ? null : Json(old));
        Assert.Equal(string.Join("\n", expected.Select(e => e.TrimEnd())), string.Join("\n", errors.Select(e => e.ToString())));
    }

    [Fact]
    public void ACertificateLikeSchemaCompilesAndValidates()
    {
        var schema = Compile(CertificateLikeSchema.Json);
        var cert = Json("""
            {"apiVersion":"example.io/v1","kind":"Certificate","metadata":{"name":"web","namespace":"default"},
             "spec":{"secretName":"web-tls","dnsNames":["a.example.com","b.example.com"],"duration":"2160h",
                     "issuerRef":{"name":"ca","kind":"ClusterIssuer"},"privateKey":{"algorithm":"ECDSA","size":256},
                     "usages":["server auth","digital signature"],"keystores":{"pkcs12":{"create":true,"passwordSecretRef":{"name":"p","key":"k"}}},
                     "secretTemplate":{"labels":{"team":"web"}},"unknownField":1}}
            """);
        Assert.Equal(["spec.unknownField"], schema.Prune(cert));
        schema.ApplyDefaults(cert);
        Assert.Equal("RotationPolicyNever", (string?)cert["spec"]!["privateKey"]!["rotationPolicy"]);
        Assert.Empty(schema.Validate(cert, null));

        cert["spec"]!["privateKey"]!["algorithm"] = "DSA";
        cert["spec"]!["usages"]!.AsArray().Add("server auth");
        var errors = schema.Validate(cert, null).Select(e => e.ToString()).ToList();
        Assert.Contains("""spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519" """.TrimEnd(), errors);
        Assert.Contains("""spec.usages[2]: Duplicate value: "server auth" """.TrimEnd(), errors);
    }

    [Fact]
    public void StatusUpdatesAreValidatedWithTheStatusSchema()
    {
        var schema = Compile("""
            {"type":"object","properties":{
              "spec":{"type":"object","properties":{"replicas":{"type":"integer","minimum":0}}},
              "status":{"type":"object","properties":{"ready":{"type":"integer","minimum":0},"phase":{"type":"string","enum":["Up","Down"]}}}}}
            """);
        var old = Json("""{"spec":{"replicas":-1},"status":{"ready":1}}""");
        var updated = Json("""{"spec":{"replicas":-1},"status":{"ready":-2,"phase":"Sideways"}}""");
        Assert.Equal(
        [
            "status.ready: Invalid value: -2: ready in body should be greater than or equal to 0",
            """status.phase: Unsupported value: "Sideways": supported values: "Up", "Down" """.TrimEnd(),
        ], schema.ValidateStatusUpdate(updated, old).Select(e => e.ToString()));
    }
}
