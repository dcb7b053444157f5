using System.Text.Json.Nodes;
using ApiMachinery.Serialization;

namespace ApiMachinery.Tests.Serialization;

// Expected texts were produced by sigs.k8s.io/yaml v1.4.0 (YAMLToJSON, YAMLToJSONStrict and JSONToYAML of
// encoding/json output), the code path kube-apiserver uses.
public class YamlJsonTests
{
    private static string ToJson(string yaml, bool strict = false) =>
        YamlJson.ToJsonNode(yaml, strict)?.ToJsonString(GoJsonEncoder.SerializerOptions) ?? "null";

    [Theory]
    [InlineData("a: yes\nb: no\nc: on\nd: off\ne: y\nf: ~\ng: null\nh:\ni: True\n", """{"a":true,"b":false,"c":true,"d":false,"e":true,"f":null,"g":null,"h":null,"i":true}""")]
    [InlineData("a: '1'\nb: \"true\"\nc: !!str 5\nd: !!int '7'\ne: !!float 3\n", """{"a":"1","b":"true","c":"5","d":7,"e":3}""")]
    [InlineData("a: 0x1F\nb: 0o17\nc: 0755\nd: 1_000\ne: +5\nf: 1e3\ng: .5\nh: 12:30\ni: 2024-01-01\nj: 1.0\nk: -0\n", """{"a":31,"b":15,"c":493,"d":1000,"e":5,"f":1000,"g":0.5,"h":"12:30","i":"2024-01-01","j":1,"k":0}""")]
    [InlineData("a: |\n  line1\n  line2\nb: >\n  folded\n  text\nc: |-\n  x\n", """{"a":"line1\nline2\n","b":"folded text\n","c":"x"}""")]
    [InlineData("- a\n- b: 1\n  c: [1, {d: e}]\n", """["a",{"b":1,"c":[1,{"d":"e"}]}]""")]
    [InlineData("a: 1 # comment\nb: 'it''s'\nc: \"tab\\there\"\n", """{"a":1,"b":"it's","c":"tab\there"}""")]
    [InlineData("a: !!binary aGVsbG8=\n", """{"a":"hello"}""")]
    [InlineData("a: 2001-12-14t21:59:43.10-05:00\n", """{"a":"2001-12-14t21:59:43.10-05:00"}""")]
    [InlineData("a: 1.5\nb: 1e21\nc: 1e-7\nd: 100000000.0\n", """{"a":1.5,"b":1e+21,"c":1e-7,"d":100000000}""")]
    [InlineData("x: 9223372036854775808\ny: 18446744073709551616\n", """{"x":9223372036854775808,"true":18446744073709552000}""")]
    [InlineData("1: a\n2.5: b\ntrue: c\n0x10: e\n", """{"1":"a","2.5":"b","true":"c","16":"e"}""")]
    [InlineData("", "null")]
    [InlineData("# only a comment\n", "null")]
    [InlineData("---\na: 1\n---\nb: 2\n", """{"a":1}""")]
    [InlineData("[1, 2, {a: b}]", """[1,2,{"a":"b"}]""")]
    public void ToJsonNode_Yaml_ResolvesScalarsLikeGoYamlV2(string yaml, string json)
    {
        Assert.Equal(json, ToJson(yaml));
    }

    [Fact]
    public void ToJsonNode_MergeKey_ExplicitKeysWin()
    {
        Assert.Equal("""{"base":{"a":1,"b":2},"derived":{"a":1,"b":3}}""", ToJson("base: &b\n  a: 1\n  b: 2\nderived:\n  <<: *b\n  b: 3\n"));
    }

    [Fact]
    public void ToJsonNode_MergeSequence_EarlierMapsWin()
    {
        var node = YamlJson.ToJsonNode("m: &m {a: 1, c: 0}\nn: &n {b: 2, c: 9}\no:\n  <<: [*m, *n]\n")!;

        Assert.Equal(0, (int)node["o"]!["c"]!);
        Assert.Equal(1, (int)node["o"]!["a"]!);
        Assert.Equal(2, (int)node["o"]!["b"]!);
        // "n" is YAML 1.1 for false, so the key comes out as "false".
        Assert.NotNull(node["false"]);
    }

    [Fact]
    public void ToJsonNode_AliasUsedTwice_IndependentCopies()
    {
        var node = YamlJson.ToJsonNode("x: &x [1, 2]\nz: *x\n")!;

        Assert.Equal("""{"x":[1,2],"z":[1,2]}""", node.ToJsonString());
        Assert.NotSame(node["x"], node["z"]);
    }

    [Theory]
    [InlineData("y: 1\n", "true")]
    [InlineData("n: 1\n", "false")]
    [InlineData("on: 1\n", "true")]
    [InlineData("1.5: 1\n", "1.5")]
    [InlineData("'y': 1\n", "y")]
    public void ToJsonNode_Yaml11Keys_BecomeTheirResolvedText(string yaml, string key)
    {
        Assert.Equal(key, YamlJson.ToJsonNode(yaml)!.AsObject().Single().Key);
    }

    [Fact]
    public void ToJsonNode_Integers_ConvertibleToInt()
    {
        Assert.Equal(3, YamlJson.ToJsonNode("replicas: 3\n")!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void ToJsonNode_DuplicateKey_LastWinsUnlessStrict()
    {
        Assert.Equal("""{"a":2}""", ToJson("a: 1\na: 2\n"));

        var e = Assert.Throws<YamlJsonException>(() => ToJson("a: 1\na: 2\n", strict: true));
        Assert.Equal("yaml: unmarshal errors:\n  line 2: key \"a\" already set in map", e.Message);
    }

    [Theory]
    [InlineData("1: a\n2.5: b\ntrue: c\nyes: d\n0x10: e\n", "yaml: unmarshal errors:\n  line 4: key true already set in map")]
    [InlineData("base: &b\n  a: 1\n  b: 2\nderived:\n  <<: *b\n  b: 3\n", "yaml: unmarshal errors:\n  line 6: key \"b\" already set in map")]
    public void ToJsonNode_StrictDuplicates_GoYamlMessage(string yaml, string message)
    {
        Assert.Equal(message, Assert.Throws<YamlJsonException>(() => ToJson(yaml, strict: true)).Message);
    }

    [Theory]
    [InlineData("a: .nan\n", "json: unsupported value: NaN")]
    [InlineData("a: *nope\n", "yaml: unknown anchor 'nope' referenced")]
    [InlineData("a: &a\n  b: *a\n", "yaml: anchor 'a' value contains itself")]
    [InlineData("a: !!int 1.5\n", "yaml: cannot decode !!float `1.5` as a !!int")]
    [InlineData("a: !!binary '%%%'\n", "yaml: !!binary value contains invalid base64 data")]
    [InlineData("o:\n  <<: 5\n", "yaml: map merge requires map or sequence of maps as the value")]
    [InlineData("? [a]\n: b\n", "yaml: invalid map key: []interface {}{\"a\"}")]
    [InlineData("~: a\n", "unsupported map key of type: %!s(<nil>), key: <nil>, value: \"a\"")]
    [InlineData("a: b: c\n", "yaml: mapping values are not allowed in this context")]
    [InlineData("key: [unclosed\n", "yaml: line 1: did not find expected ',' or ']'")]
    public void ToJsonNode_Invalid_ThrowsGoYamlMessage(string yaml, string message)
    {
        var e = Assert.Throws<YamlJsonException>(() => YamlJson.ToJsonNode(yaml));

        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("""{"b":true,"c":false,"d":null,"e":{},"f":[],"g":[[]],"h":[{}],"i":[[1,2],[3]]}""", "b: true\nc: false\nd: null\ne: {}\nf: []\ng:\n- []\nh:\n- {}\ni:\n- - 1\n  - 2\n- - 3\n")]
    [InlineData("""{"a10":1,"a2":2,"a1":3,"B":4,"b":5,"_x":6,"1":7,"10":8,"2":9,"":10}""", "\"\": 10\n_x: 6\n\"1\": 7\n\"2\": 9\n\"10\": 8\nB: 4\na1: 3\na2: 2\na10: 1\nb: 5\n")]
    [InlineData("""{"n":[0,-1,1.5,1e6,1e21,1e-7,100000,1000000.5,9223372036854775807,18446744073709551615,18446744073709551616,1.0]}""", "\"n\":\n- 0\n- -1\n- 1.5\n- 1e+06\n- 1e+21\n- 1e-07\n- 100000\n- 1.0000005e+06\n- 9223372036854775807\n- 18446744073709551615\n- 1.8446744073709552e+19\n- 1\n")]
    [InlineData("""{"k":"word word word word word word word word word word word word word word word word word word word word word word word word word"}""", "k: word word word word word word word word word word word word word word word word\n  word word word word word word word word word\n")]
    [InlineData("""{"k":"a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b"}""", "k: 'a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a:\n  b a: b a: b a: b a: b a: b a: b a: b a: b a: b'\n")]
    [InlineData("""{"a\nb":1}""", "? |-\n  a\n  b\n: 1\n")]
    [InlineData("null", "null\n")]
    [InlineData("\"plain\"", "plain\n")]
    [InlineData("[]", "[]\n")]
    public void FromJson_Json_WritesAsJsonToYaml(string json, string yaml)
    {
        Assert.Equal(yaml, YamlJson.FromJson(json));
    }

    [Fact]
    public void FromJson_Strings_QuotedOnlyWhenTheyWouldReadBackDifferently()
    {
        var json = """{"s":["", " a", "a ", "true", "1", "0755", "1.5", "y", "null", "~", "2024-01-01", "12:30", "a: b", "#x", "a #b", "- a", "*", "-", "---", "a\tb", "é", "😀", "a\nb", "a\n", "a\n\n", " a\nb", "a \nb", "it's", "say \"hi\"", "http://x/y?z#w", "a:b"]}""";

        Assert.Equal(
            "s:\n- \"\"\n- ' a'\n- 'a '\n- \"true\"\n- \"1\"\n- \"0755\"\n- \"1.5\"\n- \"y\"\n- \"null\"\n- \"~\"\n- \"2024-01-01\"\n- \"12:30\"\n- 'a: b'\n- '#x'\n- 'a #b'\n- '- a'\n- '*'\n- '-'\n- '---'\n- \"a\\tb\"\n- é\n- \"\\U0001F600\"\n- |-\n  a\n  b\n- |\n  a\n- |+\n  a\n\n- |2-\n   a\n  b\n- \"a \\nb\"\n- it's\n- say \"hi\"\n- http://x/y?z#w\n- a:b\n",
            YamlJson.FromJson(json));
    }

    [Fact]
    public void FromJson_LongKey_ComplexKeySyntax()
    {
        var key = new string('k', 129);

        Assert.Equal($"? {key}\n: 1\n", YamlJson.FromJson($$"""{"{{key}}":1}"""));
        Assert.Equal($"{key[..128]}: 1\n", YamlJson.FromJson($$"""{"{{key[..128]}}":1}"""));
    }

    [Fact]
    public void ToJsonNode_NestingBeyondLimit_Throws()
    {
        var deep = new string('[', 10_001) + new string(']', 10_001);

        Assert.Equal("yaml: exceeded max depth of 10000", Assert.Throws<YamlJsonException>(() => YamlJson.ToJsonNode(deep)).Message);
        Assert.NotNull(YamlJson.ToJsonNode(new string('[', 100) + new string(']', 100)));
    }

    [Theory]
    [InlineData("{\"k\":\"\u007f\"}", "yaml: control characters are not allowed")]
    [InlineData("{\"\u0085\":1}", "yaml: line 1: did not find expected ',' or '}'")]
    public void FromJsonNode_CharactersGoYamlRejects_Throw(string json, string message)
    {
        Assert.Equal(message, Assert.Throws<YamlJsonException>(() => YamlJson.FromJson(json)).Message);
    }

    [Fact]
    public void FromJsonNode_NextLineCharacter_FoldedLikeGoYaml()
    {
        Assert.Equal("a: x y\n", YamlJson.FromJson("{\"a\":\"x \u0085 y\"}"));
        Assert.Equal("a: |-\n  x\n  y\n", YamlJson.FromJson("{\"a\":\"x\u0085\u0085y\"}"));
    }

    private const string PodJson = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx","namespace":"default","uid":"3f0a9b2c-1234-4d5e-8f90-abcdef012345","resourceVersion":"12345","creationTimestamp":"2024-05-01T10:00:00Z",
         "labels":{"app":"nginx","tier":"frontend","app.kubernetes.io/name":"web"},
         "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"nginx\"}]}}\n"},
         "managedFields":[{"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}},"manager":"kubectl-client-side-apply","operation":"Update","time":"2024-05-01T10:00:00Z"}]},
         "spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"}},"command":["/bin/sh","-c","echo hello; sleep 3600"],
          "env":[{"name":"A","value":"true"},{"name":"B","value":"0755"},{"name":"C","value":""},{"name":"D","value":"line1\nline2\n"}],"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}],
          "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"nodeSelector":{}},
         "status":{"phase":"Pending","qosClass":"Burstable","conditions":[{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:01Z"}]}}
        """;

    private const string PodYaml = """
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: |
              {"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"name":"nginx","namespace":"default"},"spec":{"containers":[{"image":"nginx:1.25","name":"nginx"}]}}
          creationTimestamp: "2024-05-01T10:00:00Z"
          labels:
            app: nginx
            app.kubernetes.io/name: web
            tier: frontend
          managedFields:
          - apiVersion: v1
            fieldsType: FieldsV1
            fieldsV1:
              f:spec:
                f:containers:
                  k:{"name":"nginx"}:
                    .: {}
                    f:image: {}
            manager: kubectl-client-side-apply
            operation: Update
            time: "2024-05-01T10:00:00Z"
          name: nginx
          namespace: default
          resourceVersion: "12345"
          uid: 3f0a9b2c-1234-4d5e-8f90-abcdef012345
        spec:
          containers:
          - command:
            - /bin/sh
            - -c
            - echo hello; sleep 3600
            env:
            - name: A
              value: "true"
            - name: B
              value: "0755"
            - name: C
              value: ""
            - name: D
              value: |
                line1
                line2
            image: nginx:1.25
            imagePullPolicy: IfNotPresent
            name: nginx
            ports:
            - containerPort: 80
              protocol: TCP
            resources:
              limits:
                cpu: 500m
                memory: 128Mi
            terminationMessagePath: /dev/termination-log
          dnsPolicy: ClusterFirst
          nodeSelector: {}
          restartPolicy: Always
          terminationGracePeriodSeconds: 30
          tolerations:
          - effect: NoExecute
            key: node.kubernetes.io/not-ready
            operator: Exists
            tolerationSeconds: 300
        status:
          conditions:
          - lastProbeTime: null
            lastTransitionTime: "2024-05-01T10:00:01Z"
            status: "True"
            type: PodScheduled
          phase: Pending
          qosClass: Burstable

        """;

    [Fact]
    public void FromJsonNode_RealisticPod_MatchesKubectlOutput()
    {
        Assert.Equal(PodYaml, YamlJson.FromJsonNode(JsonNode.Parse(PodJson)));
    }

    [Fact]
    public void ToJsonNode_RealisticPodYaml_RoundTripsToSameJson()
    {
        var fromYaml = YamlJson.ToJsonNode(PodYaml)!;

        Assert.True(JsonNode.DeepEquals(Normalize(JsonNode.Parse(PodJson)), Normalize(fromYaml)));
        Assert.Equal(PodYaml, YamlJson.FromJsonNode(fromYaml));
    }

    [Theory]
    [InlineData("""{"a":"true","b":true,"c":"1","d":1,"e":"","f":null,"g":"x\ny","h":[{"i":"0x10"}],"j":"~","k":" lead"}""")]
    [InlineData("""["on","off","yes","no","1e3","12:30:00","2024-01-01T00:00:00Z","- x","? y",":z","#c"]""")]
    [InlineData("""{"nested":{"deep":{"deeper":[[["x"]],{"k":{}}]}}}""")]
    public void RoundTrip_JsonToYamlToJson_PreservesValuesAndTypes(string json)
    {
        var original = JsonNode.Parse(json);

        var back = YamlJson.ToJsonNode(YamlJson.FromJsonNode(original));

        Assert.True(JsonNode.DeepEquals(Normalize(original), Normalize(back)), YamlJson.FromJsonNode(original));
    }

    [Fact]
    public void SplitDocuments_Separators_SkipsEmptyChunks()
    {
        var docs = YamlJson.SplitDocuments("---\na: 1\n--- # first ends\nb: 2\n---\n---\nc: 3");

        Assert.Equal(["a: 1\n", "b: 2\n", "c: 3"], docs);
    }

    [Fact]
    public void SplitDocuments_ContentAfterSeparator_Throws()
    {
        var e = Assert.Throws<YamlJsonException>(() => YamlJson.SplitDocuments("a: 1\n--- b: 2\n"));

        Assert.Equal("invalid Yaml document separator: b: 2", e.Message);
    }

    [Fact]
    public void ToJsonNodes_MultiDocument_OneNodePerNonEmptyDocument()
    {
        var nodes = YamlJson.ToJsonNodes("apiVersion: v1\nkind: ConfigMap\n---\n# nothing here\n---\napiVersion: v1\nkind: Secret\n");

        Assert.Equal(["ConfigMap", "Secret"], nodes.Select(n => (string)n["kind"]!));
    }

    // Key order is irrelevant when comparing trees built in different orders.
    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Normalize(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Normalize).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };
}
