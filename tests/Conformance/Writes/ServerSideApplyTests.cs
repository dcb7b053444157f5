using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>
/// Server-side apply and managedFields (issue: schemas and the writes that need them) through
/// kubectl (<c>apply --server-side</c>, <c>--force-conflicts</c>, <c>diff --server-side</c>,
/// <c>--dry-run=server</c>, <c>--show-managed-fields</c>) and curl for the wire details.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ServerSideApplyTests(ClusterFixture cluster)
{
    private static string Deployment(string ns, int replicas, bool withEnv, string? tier = null) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: {ns}
          labels:
            app: web
        {(tier is null ? "" : $"    tier: {tier}\n")}spec:
          replicas: {replicas}
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
                ports:
                - containerPort: 80
        {(withEnv ? "        env:\n        - name: MODE\n          value: fast\n" : "")}
        """;

    private async Task<JsonObject> GetWithManagedFieldsAsync(string what, string ns) =>
        (JsonObject)JsonNode.Parse(await cluster.KubectlOkAsync("get", what, "-n", ns, "-o", "json", "--show-managed-fields"))!;

    private static JsonObject Entry(JsonObject obj, string manager, string operation) =>
        (JsonObject)obj["metadata"]!["managedFields"]!.AsArray()
            .Single(e => e!["manager"]!.GetValue<string>() == manager && e["operation"]!.GetValue<string>() == operation)!;

    private async Task<ProcessResult> ApplyAsync(string yaml, params string[] args) =>
        await cluster.KubectlWithInputAsync(yaml, ["apply", "--server-side", "-f", "-", .. args]);

    [Fact]
    public async Task ApplyCreates_RecordsOwnership_AndConflictsWithAnotherManager()
    {
        var ns = await cluster.CreateNamespaceAsync("ssa");
        var created = await ApplyAsync(Deployment(ns, 2, withEnv: true));
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("deployment.apps/web serverside-applied", created.StdOut);

        var deployment = await GetWithManagedFieldsAsync("deployment/web", ns);
        var kubectl = Entry(deployment, "kubectl", "Apply");
        Assert.Equal("apps/v1", kubectl["apiVersion"]!.GetValue<string>());
        Assert.Equal("FieldsV1", kubectl["fieldsType"]!.GetValue<string>());
        var fields = kubectl["fieldsV1"]!;
        Assert.NotNull(fields["f:spec"]!["f:replicas"]);
        Assert.NotNull(fields["f:metadata"]!["f:labels"]!["f:app"]);
        var container = fields["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"nginx\"}"]!;
        Assert.NotNull(container["."]);
        Assert.NotNull(container["f:image"]);
        // A port's key carries the protocol's default, as kube-apiserver names it.
        Assert.NotNull(container["f:ports"]!["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]);
        // Defaults the server filled in are no one's.
        Assert.Null(fields["f:spec"]!["f:revisionHistoryLimit"]);

        // A second manager that wants other replicas conflicts, with kube-apiserver's message.
        var conflict = await ApplyAsync(Deployment(ns, 5, withEnv: true), "--field-manager=ops");
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas", conflict.StdErr);
        Assert.Equal(2, (await GetWithManagedFieldsAsync("deployment/web", ns))["spec"]!["replicas"]!.GetValue<int>());

        // Forced, it takes the field over.
        var forced = await ApplyAsync(Deployment(ns, 5, withEnv: true), "--field-manager=ops", "--force-conflicts");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        deployment = await GetWithManagedFieldsAsync("deployment/web", ns);
        Assert.Equal(5, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(Entry(deployment, "kubectl", "Apply")["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.NotNull(Entry(deployment, "ops", "Apply")["fieldsV1"]!["f:spec"]!["f:replicas"]);
    }

    [Fact]
    public async Task Reapply_RemovesWhatTheManagerDropped_UnlessSomeoneElseOwnsIt()
    {
        var ns = await cluster.CreateNamespaceAsync("ssa-prune");
        await ApplyAsync(Deployment(ns, 2, withEnv: true, tier: "a"));

        // Another manager sets the same tier label: co-owned, so it survives kubectl dropping it.
        var coOwner = await cluster.KubectlWithInputAsync($$$$"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"{{{{ns}}}}","labels":{"tier":"a"}}}
            """, "apply", "--server-side", "--field-manager=labeler", "-f", "-");
        Assert.True(coOwner.ExitCode == 0, coOwner.ToString());

        // kubectl's next configuration has no env entry, no tier label and no replicas.
        var yaml = Deployment(ns, 2, withEnv: false).Replace("  replicas: 2\n", "");
        var reapplied = await ApplyAsync(yaml);
        Assert.True(reapplied.ExitCode == 0, reapplied.ToString());

        var deployment = await GetWithManagedFieldsAsync("deployment/web", ns);
        Assert.Null(deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]);
        Assert.Equal("a", deployment["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        // replicas was kubectl's alone: removed, then defaulted again.
        Assert.Equal(1, deployment["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task UpdatesAreRecorded_AndAnUpdatersFieldConflictsWithAnApply()
    {
        var ns = await cluster.CreateNamespaceAsync("ssa-upd");
        await cluster.KubectlOkAsync("create", "configmap", "conf", "-n", ns, "--from-literal=a=1");
        var configMap = await GetWithManagedFieldsAsync("configmap/conf", ns);
        var create = Entry(configMap, "kubectl-create", "Update");
        Assert.Equal("v1", create["apiVersion"]!.GetValue<string>());
        Assert.Equal("""{".":{},"f:a":{}}""", create["fieldsV1"]!["f:data"]!.ToJsonString());

        var applied = await ApplyAsync(Deployment(ns, 2, withEnv: false));
        Assert.True(applied.ExitCode == 0, applied.ToString());
        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", """{"spec":{"replicas":3}}""");
        var deployment = await GetWithManagedFieldsAsync("deployment/web", ns);
        Assert.NotNull(Entry(deployment, "kubectl-patch", "Update")["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Null(Entry(deployment, "kubectl", "Apply")["fieldsV1"]!["f:spec"]!["f:replicas"]);

        var conflict = await ApplyAsync(Deployment(ns, 2, withEnv: false));
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("conflict with \"kubectl-patch\" using apps/v1: .spec.replicas", conflict.StdErr);
    }

    [Fact]
    public async Task DiffAndServerDryRun_ChangeNothing()
    {
        var ns = await cluster.CreateNamespaceAsync("ssa-dry");
        await ApplyAsync(Deployment(ns, 2, withEnv: false));
        var before = (await GetWithManagedFieldsAsync("deployment/web", ns))["metadata"]!["resourceVersion"]!.GetValue<string>();

        var dry = await cluster.KubectlWithInputAsync(Deployment(ns, 4, withEnv: false),
            "apply", "--server-side", "--dry-run=server", "-f", "-", "-o", "jsonpath={.spec.replicas}");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Equal("4", dry.StdOut.Trim());

        var diff = await cluster.KubectlWithInputAsync(Deployment(ns, 4, withEnv: false), "diff", "--server-side", "-f", "-");
        Assert.Equal(1, diff.ExitCode);
        Assert.Contains("-  replicas: 2", diff.StdOut);
        Assert.Contains("+  replicas: 4", diff.StdOut);

        var after = await GetWithManagedFieldsAsync("deployment/web", ns);
        Assert.Equal(before, after["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(2, after["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task WireDetails_FieldManagerRequired_KindChecked_ConflictCauses()
    {
        var ns = await cluster.CreateNamespaceAsync("ssa-wire");
        var url = $"{cluster.ServerUrl}/api/v1/namespaces/{ns}/configmaps/wired";
        var body = $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"wired","namespace":"{{{ns}}}"},"data":{"k":"v1"}}""";

        var noManager = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml", "--data-binary", body, "-w", "\n%{http_code}", url);
        Assert.EndsWith("422", noManager.StdOut.Trim());
        Assert.Contains("fieldManager: Required value: is required for apply patch", noManager.StdOut);

        var wrongKind = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml",
            "--data-binary", body.Replace("\"ConfigMap\"", "\"Secret\""), "-w", "\n%{http_code}", url + "?fieldManager=a");
        Assert.EndsWith("400", wrongKind.StdOut.Trim());

        var otherNamespace = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml",
            "--data-binary", body.Replace(ns, "elsewhere"), "-w", "\n%{http_code}", url + "?fieldManager=a");
        Assert.EndsWith("400", otherNamespace.StdOut.Trim());
        Assert.Contains("the namespace of the provided object does not match the namespace sent on the request", otherNamespace.StdOut);

        // YAML in, 201 for the create, then 200.
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wired\ndata:\n  k: one\n";
        var created = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml", "--data-binary", yaml, "-w", "\n%{http_code}", url + "?fieldManager=a");
        Assert.EndsWith("201", created.StdOut.Trim());
        var again = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml", "--data-binary", yaml, "-w", "\n%{http_code}", url + "?fieldManager=a");
        Assert.EndsWith("200", again.StdOut.Trim());

        var conflict = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml",
            "--data-binary", yaml.Replace("k: one", "k: two"), url + "?fieldManager=b");
        var status = JsonNode.Parse(conflict.StdOut)!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal(409, status["code"]!.GetValue<int>());
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        Assert.Equal("Apply failed with 1 conflict: conflict with \"a\": .data.k", status["message"]!.GetValue<string>());
        var cause = status["details"]!["causes"]![0]!;
        Assert.Equal("FieldManagerConflict", cause["reason"]!.GetValue<string>());
        Assert.Equal("conflict with \"a\"", cause["message"]!.GetValue<string>());
        Assert.Equal(".data.k", cause["field"]!.GetValue<string>());

        var forceOnMerge = await cluster.CurlAsync(cluster.Admin, "-X", "PATCH", "-H", "Content-Type: application/merge-patch+json",
            "--data-binary", "{}", "-w", "\n%{http_code}", url + "?force=true");
        Assert.EndsWith("422", forceOnMerge.StdOut.Trim());
    }

    [Fact]
    public async Task FromClientSideToServerSideApply_AndBack()
    {
        var ns = await cluster.CreateNamespaceAsync("ssa-migrate");
        var clientSide = await cluster.KubectlWithInputAsync(Deployment(ns, 2, withEnv: false), "apply", "-f", "-");
        Assert.True(clientSide.ExitCode == 0, clientSide.ToString());

        // The first server-side apply changes a value client-side apply set: no conflict, as the
        // last-applied annotation still describes it; the annotation follows the new configuration.
        var serverSide = await ApplyAsync(Deployment(ns, 3, withEnv: false));
        Assert.True(serverSide.ExitCode == 0, serverSide.ToString());
        var deployment = await GetWithManagedFieldsAsync("deployment/web", ns);
        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        var annotation = deployment["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>();
        Assert.Equal(3, JsonNode.Parse(annotation)!["spec"]!["replicas"]!.GetValue<int>());

        // And back: client-side apply computes its patch from that annotation.
        var back = await cluster.KubectlWithInputAsync(Deployment(ns, 5, withEnv: false), "apply", "-f", "-");
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Equal("5", await cluster.KubectlOkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
    }
}
