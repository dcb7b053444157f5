using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Foundation;

/// <summary>The kubectl session of a new user (issue: the foundation), against the real server and etcd.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KubectlBasicsTests(ClusterFixture cluster)
{
    private const string PodYaml = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          labels:
            app: web
            tier: frontend
        spec:
          containers:
          - name: nginx
            image: nginx:1.27
            ports:
            - containerPort: 80
        """;

    [Fact]
    public async Task Version_ReportsKubernetes135()
    {
        var output = await cluster.KubectlOkAsync("version", "-o", "json");
        var server = JsonNode.Parse(output)!["serverVersion"]!;
        Assert.Equal("1", server["major"]!.GetValue<string>());
        Assert.Equal("35", server["minor"]!.GetValue<string>());
        Assert.StartsWith("v1.35", server["gitVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApiResources_ListsCoreAndAppsWithShortNames()
    {
        var output = await cluster.KubectlOkAsync("api-resources", "--no-headers");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Contains(lines, l => l is ["pods", "po", "v1", "true", "Pod"]);
        Assert.Contains(lines, l => l is ["namespaces", "ns", "v1", "false", "Namespace"]);
        Assert.Contains(lines, l => l is ["configmaps", "cm", "v1", "true", "ConfigMap"]);
        Assert.Contains(lines, l => l is ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
        Assert.Contains(lines, l => l is ["secrets", "v1", "true", "Secret"]);
    }

    [Fact]
    public async Task ApiVersions_ListsServedGroupVersions()
    {
        var versions = (await cluster.KubectlOkAsync("api-versions")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("v1", versions);
        Assert.Contains("apps/v1", versions);
    }

    [Fact]
    public async Task GetNamespaces_SystemNamespacesExistFromFirstStart()
    {
        var names = (await cluster.KubectlOkAsync("get", "ns", "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("namespace/default", names);
        Assert.Contains("namespace/kube-system", names);
        Assert.Contains("namespace/kube-public", names);
        Assert.Contains("namespace/kube-node-lease", names);

        var table = await cluster.KubectlOkAsync("get", "ns", "default");
        Assert.StartsWith("NAME", table);
        Assert.Contains("default", table);
    }

    [Fact]
    public async Task CreateNamespace_PrintsCreatedAndIsActive()
    {
        var name = "created-" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal($"namespace/{name} created\n", await cluster.KubectlOkAsync("create", "ns", name));
        var ns = JsonNode.Parse(await cluster.KubectlOkAsync("get", "ns", name, "-o", "json"))!;
        Assert.Equal("Active", ns["status"]!["phase"]!.GetValue<string>());
        Assert.Equal("kubernetes", ns["spec"]!["finalizers"]![0]!.GetValue<string>());
        Assert.Equal(name, ns["metadata"]!["labels"]!["kubernetes.io/metadata.name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePodFromYaml_WithDefaultValidation_ThenGetInEveryFormat()
    {
        var ns = await cluster.CreateNamespaceAsync("pods");
        var create = await cluster.KubectlWithInputAsync(PodYaml, "create", "-n", ns, "-f", "-");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal("pod/web created\n", create.StdOut);

        var yaml = await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "yaml");
        Assert.Contains("kind: Pod", yaml);
        Assert.Contains("name: web", yaml);
        Assert.Contains("image: nginx:1.27", yaml);
        Assert.Contains("phase: Pending", yaml);

        var pod = JsonNode.Parse(await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "json"))!;
        var metadata = pod["metadata"]!;
        Assert.Equal(ns, metadata["namespace"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f-]{36}$", metadata["uid"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", metadata["creationTimestamp"]!.GetValue<string>());
        Assert.True(long.Parse(metadata["resourceVersion"]!.GetValue<string>()) > 0);
        Assert.Equal(1, metadata["generation"]!.GetValue<long>());

        Assert.Equal("pod/web\n", await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-o", "name"));
        Assert.Equal("nginx:1.27", await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "jsonpath={.spec.containers[0].image}"));
        Assert.Equal("web", await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"));

        var table = await cluster.KubectlOkAsync("get", "pods", "-n", ns);
        Assert.StartsWith("NAME", table);
        Assert.Contains("web", table);
    }

    [Fact]
    public async Task ConfigMapAndSecret_CreatedFromLiterals()
    {
        var ns = await cluster.CreateNamespaceAsync("config");
        Assert.Equal("configmap/settings created\n",
            await cluster.KubectlOkAsync("create", "configmap", "settings", "-n", ns, "--from-literal=color=blue", "--from-literal=size=10"));
        Assert.Equal("blue", await cluster.KubectlOkAsync("get", "cm", "settings", "-n", ns, "-o", "jsonpath={.data.color}"));

        Assert.Equal("secret/creds created\n",
            await cluster.KubectlOkAsync("create", "secret", "generic", "creds", "-n", ns, "--from-literal=password=s3cret"));
        var secret = JsonNode.Parse(await cluster.KubectlOkAsync("get", "secret", "creds", "-n", ns, "-o", "json"))!;
        Assert.Equal("Opaque", secret["type"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String("s3cret"u8.ToArray()), secret["data"]!["password"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replace_UpdatesTheStoredObject()
    {
        var ns = await cluster.CreateNamespaceAsync("replace");
        await cluster.KubectlOkAsync("create", "configmap", "cfg", "-n", ns, "--from-literal=a=1");
        var current = JsonNode.Parse(await cluster.KubectlOkAsync("get", "cm", "cfg", "-n", ns, "-o", "json"))!;
        var rv = current["metadata"]!["resourceVersion"]!.GetValue<string>();
        current["data"]!["a"] = "2";
        var replace = await cluster.KubectlWithInputAsync(current.ToJsonString(), "replace", "-n", ns, "-f", "-");
        Assert.True(replace.ExitCode == 0, replace.ToString());
        Assert.Equal("configmap/cfg replaced\n", replace.StdOut);

        var after = JsonNode.Parse(await cluster.KubectlOkAsync("get", "cm", "cfg", "-n", ns, "-o", "json"))!;
        Assert.Equal("2", after["data"]!["a"]!.GetValue<string>());
        Assert.True(long.Parse(after["metadata"]!["resourceVersion"]!.GetValue<string>()) > long.Parse(rv));

        // Replacing with the stale resourceVersion is a conflict.
        var stale = await cluster.KubectlWithInputAsync(current.ToJsonString(), "replace", "-n", ns, "-f", "-");
        Assert.NotEqual(0, stale.ExitCode);
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", stale.StdErr);
    }

    [Fact]
    public async Task DeletePod_WaitsAndTheObjectIsGone()
    {
        var ns = await cluster.CreateNamespaceAsync("delete");
        await cluster.KubectlWithInputAsync(PodYaml, "create", "-n", ns, "-f", "-");
        Assert.Equal("pod \"web\" deleted\n", await cluster.KubectlOkAsync("delete", "pod", "web", "-n", ns));
        var get = await cluster.KubectlAsync("get", "pod", "web", "-n", ns);
        Assert.NotEqual(0, get.ExitCode);
        Assert.Contains("Error from server (NotFound): pods \"web\" not found", get.StdErr);
    }

    [Fact]
    public async Task DeleteNamespace_RemovesItsObjectsAndDisappears()
    {
        var ns = await cluster.CreateNamespaceAsync("doomed");
        await cluster.KubectlWithInputAsync(PodYaml, "create", "-n", ns, "-f", "-");
        await cluster.KubectlOkAsync("create", "configmap", "cfg", "-n", ns, "--from-literal=a=1");
        await cluster.KubectlOkAsync("create", "secret", "generic", "s", "-n", ns, "--from-literal=a=1");

        // kubectl delete waits until the namespace is gone, which needs the namespace controller's work.
        Assert.Equal($"namespace \"{ns}\" deleted\n", await cluster.KubectlOkAsync("delete", "ns", ns, "--timeout=60s"));

        var get = await cluster.KubectlAsync("get", "ns", ns);
        Assert.Contains($"namespaces \"{ns}\" not found", get.StdErr);
        Assert.Equal("", cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/pods/{ns}/", "--prefix", "--keys-only").Trim());
        Assert.Equal("", cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/", "--prefix", "--keys-only").Trim());
        Assert.Equal("", cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/namespaces/{ns}", "--keys-only").Trim());
    }

    [Fact]
    public async Task SystemNamespace_CannotBeDeleted()
    {
        var result = await cluster.KubectlAsync("delete", "ns", "kube-system");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("namespaces \"kube-system\" is forbidden: this namespace may not be deleted", result.StdErr);
    }

    [Fact]
    public async Task GetRaw_ReturnsTheApiObject()
    {
        var raw = JsonNode.Parse(await cluster.KubectlOkAsync("get", "--raw", "/api/v1/namespaces/default"))!;
        Assert.Equal("Namespace", raw["kind"]!.GetValue<string>());
        Assert.Equal("default", raw["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Selectors_FilterListsAsKubectlSendsThem()
    {
        var ns = await cluster.CreateNamespaceAsync("select");
        foreach (var (name, app) in new[] { ("a1", "a"), ("b1", "b"), ("c1", "c") })
        {
            await cluster.KubectlOkAsync("run", name, "-n", ns, "--image=busybox", $"--labels=app={app},tier=t");
        }

        Assert.Equal("pod/a1 pod/b1", (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-l", "app in (a,b)", "-o", "name")).Replace('\n', ' ').Trim());
        Assert.Equal("pod/c1", (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "-l", "app!=a,app notin (b)", "-o", "name")).Trim());
        Assert.Equal("pod/b1", (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--field-selector", "metadata.name=b1", "-o", "name")).Trim());
        Assert.Equal(3, (await cluster.KubectlOkAsync("get", "pods", "-n", ns, "--field-selector", "status.phase=Pending,spec.nodeName=", "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var unsupported = await cluster.KubectlAsync("get", "pods", "-n", ns, "--field-selector", "spec.bogus=1");
        Assert.NotEqual(0, unsupported.ExitCode);
        Assert.Contains("field label not supported: spec.bogus", unsupported.StdErr);
    }

    [Fact]
    public async Task DeleteAll_DeletesTheCollection()
    {
        var ns = await cluster.CreateNamespaceAsync("collection");
        for (var i = 0; i < 3; i++)
        {
            await cluster.KubectlOkAsync("create", "configmap", $"cm{i}", "-n", ns, "--from-literal=a=1");
        }

        var deleted = await cluster.KubectlOkAsync("delete", "configmaps", "--all", "-n", ns);
        Assert.Contains("configmap \"cm0\" deleted", deleted);
        Assert.Equal("", (await cluster.KubectlOkAsync("get", "cm", "-n", ns, "-o", "name")).Trim());
    }
}
