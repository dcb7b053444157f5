using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>
/// Strategic merge patch (issue: schemas and the writes that need them) through the clients that send
/// it: client-side kubectl apply, patch, set image, rollout restart, edit, diff; and the Python client.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StrategicMergePatchTests(ClusterFixture cluster)
{
    private static string DeploymentYaml(string ns, string tier, bool withSidecar, bool withEnvB) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: {ns}
          labels:
            app: web
            tier: {tier}
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: nginx
                image: nginx:1.27
                env:
                - name: A
                  value: "1"
        {(withEnvB ? "        - name: B\n          value: \"2\"\n" : "")}{(withSidecar ? "      - name: sidecar\n        image: busybox:1.36\n" : "")}
        """;

    private async Task<JsonNode> GetAsync(string what, string ns) =>
        JsonNode.Parse(await cluster.KubectlOkAsync("get", what, "-n", ns, "-o", "json"))!;

    [Fact]
    public async Task ClientSideApply_AnotherWritersChangeSurvivesAReapply()
    {
        var ns = await cluster.CreateNamespaceAsync("apply");
        var applied = await cluster.KubectlWithInputAsync(DeploymentYaml(ns, "a", withSidecar: false, withEnvB: true), "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Equal("2", (await GetAsync("deployment/web", ns))["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![1]!["value"]!.GetValue<string>());

        // Another writer adds an annotation to the pod template and a label of its own.
        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=strategic",
            "-p", """{"metadata":{"labels":{"owner":"ops"}},"spec":{"template":{"metadata":{"annotations":{"other":"writer"}}}}}""");

        // The re-apply adds a container, removes env B and changes a label.
        var reapplied = await cluster.KubectlWithInputAsync(DeploymentYaml(ns, "b", withSidecar: true, withEnvB: false), "apply", "-f", "-");
        Assert.True(reapplied.ExitCode == 0, reapplied.ToString());
        Assert.Contains("deployment.apps/web configured", reapplied.StdOut);

        var deployment = await GetAsync("deployment/web", ns);
        Assert.Equal("b", deployment["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("ops", deployment["metadata"]!["labels"]!["owner"]!.GetValue<string>());
        var template = deployment["spec"]!["template"]!;
        Assert.Equal("writer", template["metadata"]!["annotations"]!["other"]!.GetValue<string>());
        var containers = template["spec"]!["containers"]!.AsArray();
        Assert.Equal(["nginx", "sidecar"], containers.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("""[{"name":"A","value":"1"}]""", containers[0]!["env"]!.ToJsonString());
        Assert.Equal(3, deployment["metadata"]!["generation"]!.GetValue<int>());

        // Nothing changed: apply is a no-op and says so.
        var again = await cluster.KubectlWithInputAsync(DeploymentYaml(ns, "b", withSidecar: true, withEnvB: false), "apply", "-f", "-");
        Assert.Contains("deployment.apps/web unchanged", again.StdOut);
    }

    [Fact]
    public async Task KubectlPatch_EveryType_LabelAndAnnotateWithRemoval()
    {
        var ns = await cluster.CreateNamespaceAsync("patch");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=1");

        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=strategic",
            "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"MODE","value":"s"}]}]}}}}""");
        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", """{"spec":{"replicas":3}}""");
        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=json", "-p", """[{"op":"test","path":"/spec/replicas","value":3},{"op":"add","path":"/spec/minReadySeconds","value":5}]""");

        var deployment = await GetAsync("deployment/web", ns);
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.27", container["image"]!.GetValue<string>());
        Assert.Equal("s", container["env"]![0]!["value"]!.GetValue<string>());
        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(5, deployment["spec"]!["minReadySeconds"]!.GetValue<int>());

        await cluster.KubectlOkAsync("label", "deployment", "web", "-n", ns, "stage=test", "team=a");
        await cluster.KubectlOkAsync("label", "deployment", "web", "-n", ns, "team-");
        await cluster.KubectlOkAsync("annotate", "deployment", "web", "-n", ns, "note=hello", "drop=me");
        await cluster.KubectlOkAsync("annotate", "deployment", "web", "-n", ns, "drop-");
        var metadata = (await GetAsync("deployment/web", ns))["metadata"]!;
        Assert.Equal("test", metadata["labels"]!["stage"]!.GetValue<string>());
        Assert.Null(metadata["labels"]!["team"]);
        Assert.Equal("hello", metadata["annotations"]!["note"]!.GetValue<string>());
        Assert.Null(metadata["annotations"]!["drop"]);

        var failed = await cluster.KubectlAsync("patch", "deployment", "web", "-n", ns, "--type=strategic",
            "-p", """{"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}""");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("does not contain declared merge key: name", failed.StdErr);
    }

    [Fact]
    public async Task SetImage_RolloutRestart_Edit_AndDiff()
    {
        var ns = await cluster.CreateNamespaceAsync("rollout");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27");

        await cluster.KubectlOkAsync("set", "image", "deployment/web", "-n", ns, "nginx=nginx:1.28");
        await cluster.KubectlOkAsync("rollout", "restart", "deployment/web", "-n", ns);
        var template = (await GetAsync("deployment/web", ns))["spec"]!["template"]!;
        Assert.Equal("nginx:1.28", template["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.NotNull(template["metadata"]!["annotations"]!["kubectl.kubernetes.io/restartedAt"]);

        var editor = Path.Combine(cluster.WorkDirectory, "editor-" + Guid.NewGuid().ToString("N")[..6] + ".sh");
        await File.WriteAllTextAsync(editor, "#!/bin/sh\nsed -i 's/replicas: 1/replicas: 4/' \"$1\"\n");
        var edited = await ProcessRunner.RunAsync("kubectl",
            ["--kubeconfig", cluster.Kubeconfig, "edit", "deployment", "web", "-n", ns],
            environment: new Dictionary<string, string> { ["EDITOR"] = "sh " + editor, ["KUBE_EDITOR"] = "sh " + editor });
        Assert.True(edited.ExitCode == 0, edited.ToString());
        Assert.Equal("4", await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));

        var manifest = await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "yaml");
        var diff = await cluster.KubectlWithInputAsync(manifest.Replace("replicas: 4", "replicas: 6", StringComparison.Ordinal), "diff", "-f", "-");
        Assert.Equal(1, diff.ExitCode);
        Assert.Contains("-  replicas: 4", diff.StdOut);
        Assert.Contains("+  replicas: 6", diff.StdOut);
        Assert.Equal("4", await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
    }

    [Fact]
    public async Task PythonClient_PatchesWithItsDefaultStrategicMergePatch()
    {
        var ns = await cluster.CreateNamespaceAsync("pypatch");
        await cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27", "--labels=app=web");
        var script = $$$"""
            from kubernetes import client, config
            config.load_kube_config(config_file="{{{cluster.Kubeconfig}}}")
            core = client.CoreV1Api()
            patched = core.patch_namespaced_pod("web", "{{{ns}}}", {"metadata": {"labels": {"patched": "yes"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}})
            print(patched.metadata.labels["app"], patched.metadata.labels["patched"], patched.spec.containers[0].image, len(patched.spec.containers))
            """;
        var result = await ProcessRunner.RunAsync("/usr/bin/python3", ["-c", script]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("web yes nginx:1.28 1", result.StdOut.Trim());
    }
}
