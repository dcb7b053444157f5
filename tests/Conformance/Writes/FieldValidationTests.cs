using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>Unknown fields of built-in kinds: pruned, and refused or warned about per fieldValidation.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FieldValidationTests(ClusterFixture cluster)
{
    private static string Manifest(string ns, string name) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          replicass: 2
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              containers:
              - name: c
                image: nginx:1.27
                imagee: nginx:1.28
        """;

    [Fact]
    public async Task MisspeltField_FailsWithKubectlsStrictValidationMessage()
    {
        var ns = await cluster.CreateNamespaceAsync("strict");
        var result = await cluster.KubectlWithInputAsync(Manifest(ns, "web"), "create", "-f", "-");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error from server (BadRequest): error when creating \"STDIN\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replicass\", unknown field \"spec.template.spec.containers[0].imagee\"", result.StdErr);
        Assert.Equal("", (await cluster.KubectlOkAsync("get", "deployments", "-n", ns, "-o", "name")).Trim());
    }

    [Fact]
    public async Task WarnAndIgnore_StoreTheObjectWithoutTheUnknownFields()
    {
        var ns = await cluster.CreateNamespaceAsync("warn");
        var warned = await cluster.KubectlWithInputAsync(Manifest(ns, "warned"), "create", "-f", "-", "--validate=warn");
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Contains("Warning: unknown field \"spec.replicass\"", warned.StdErr);
        Assert.Contains("Warning: unknown field \"spec.template.spec.containers[0].imagee\"", warned.StdErr);

        var ignored = await cluster.KubectlWithInputAsync(Manifest(ns, "ignored"), "create", "-f", "-", "--validate=false");
        Assert.True(ignored.ExitCode == 0, ignored.ToString());
        Assert.DoesNotContain("Warning", ignored.StdErr);

        var stored = JsonNode.Parse(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/deployments/{ns}/warned", "--print-value-only"))!;
        Assert.Null(stored["spec"]!["replicass"]);
        Assert.Null(stored["spec"]!["template"]!["spec"]!["containers"]![0]!["imagee"]);
        Assert.Equal("nginx:1.27", stored["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patches_AreValidatedToo()
    {
        var ns = await cluster.CreateNamespaceAsync("patch-strict");
        await cluster.KubectlOkAsync("create", "configmap", "cm", "-n", ns, "--from-literal=a=1");
        var path = $"/api/v1/namespaces/{ns}/configmaps/cm";

        using var strict = await cluster.Http.PatchAsync(path + "?fieldValidation=Strict",
            new StringContent("""{"data":{"b":"2"},"extra":true}""", Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Contains("strict decoding error: unknown field \\\"extra\\\"", await strict.Content.ReadAsStringAsync());

        using var warn = await cluster.Http.PatchAsync(path,
            new StringContent("""{"data":{"b":"2"},"extra":true}""", Encoding.UTF8, "application/strategic-merge-patch+json"));
        Assert.Equal(HttpStatusCode.OK, warn.StatusCode);
        Assert.Equal("299 - \"unknown field \\\"extra\\\"\"", warn.Headers.GetValues("Warning").Single());
        Assert.Null(JsonNode.Parse(await warn.Content.ReadAsStringAsync())!["extra"]);

        using var invalid = await cluster.Http.PatchAsync(path + "?fieldValidation=Loose",
            new StringContent("""{"data":{"c":"3"}}""", Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
    }

    [Fact]
    public async Task RepeatedFields_AreRefusedUnderStrict_WarnedAboutUnderWarn_AndTheLastValueCounts()
    {
        var ns = await cluster.CreateNamespaceAsync("dupes");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        string Body(string name) => "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"name\":\"" + name + "\"},\"data\":{\"a\":\"1\",\"a\":\"2\"}}";

        using var strict = await cluster.Http.PostAsync(path + "?fieldValidation=Strict", ClusterFixture.Json(Body("strict")));
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        var status = JsonNode.Parse(await strict.Content.ReadAsStringAsync())!;
        Assert.Equal(
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"metadata.name\", duplicate field \"data.a\"",
            status["message"]!.GetValue<string>());

        using var warn = await cluster.Http.PostAsync(path, ClusterFixture.Json(Body("warned")));
        Assert.Equal(HttpStatusCode.Created, warn.StatusCode);
        Assert.Equal(["299 - \"duplicate field \\\"metadata.name\\\"\"", "299 - \"duplicate field \\\"data.a\\\"\""], warn.Headers.GetValues("Warning"));
        var stored = await cluster.GetJsonAsync(path + "/warned");
        Assert.Equal("2", stored["data"]!["a"]!.GetValue<string>());

        // YAML: go-yaml's duplicate-key message under Strict; the last value otherwise.
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: \"1\"\n  a: \"2\"\n";
        using var strictYaml = await cluster.Http.PostAsync(path + "?fieldValidation=Strict", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.BadRequest, strictYaml.StatusCode);
        Assert.Contains("strict decoding error: yaml: unmarshal errors:\n  line 7: key \"a\" already set in map",
            JsonNode.Parse(await strictYaml.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        using var lenientYaml = await cluster.Http.PostAsync(path + "?fieldValidation=Ignore", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, lenientYaml.StatusCode);
        Assert.Equal("2", (await cluster.GetJsonAsync(path + "/from-yaml"))["data"]!["a"]!.GetValue<string>());

        using var patch = await cluster.Http.PatchAsync(path + "/warned?fieldValidation=Strict",
            new StringContent("""{"data":{"a":"3","a":"4"}}""", Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, patch.StatusCode);
        Assert.Contains("duplicate field \\\"data.a\\\"", await patch.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WrongTypes_AreRefusedAsTheDecoderRefusesThem()
    {
        var ns = await cluster.CreateNamespaceAsync("types");
        var failed = await cluster.KubectlWithInputAsync($$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: typed
              namespace: {{ns}}
            spec:
              replicas: two
              selector:
                matchLabels:
                  app: typed
              template:
                metadata:
                  labels:
                    app: typed
                spec:
                  containers:
                  - name: c
                    image: nginx:1.27
            """, "create", "-f", "-");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32", failed.StdErr);

        var secret = await cluster.KubectlWithInputAsync($$"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: bad
              namespace: {{ns}}
            data:
              password: not-base64!
            """, "create", "-f", "-");
        Assert.NotEqual(0, secret.ExitCode);
        Assert.Contains("illegal base64 data at input byte", secret.StdErr);

        using var array = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
            ClusterFixture.Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"arr"},"data":[1,2]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, array.StatusCode);
        Assert.Equal(
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string",
            JsonNode.Parse(await array.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Http.GetAsync($"/api/v1/namespaces/{ns}/configmaps/arr")).StatusCode);

        // DeleteOptions decode the same way: a bad body deletes nothing.
        await cluster.KubectlOkAsync("create", "configmap", "kept", "-n", ns);
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps/kept")
        {
            Content = ClusterFixture.Json("""{"gracePeriodSeconds":"soon"}"""),
        };
        using var refused = await cluster.Http.SendAsync(delete);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.GetAsync($"/api/v1/namespaces/{ns}/configmaps/kept")).StatusCode);
    }
}
