using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Admission;

/// <summary>
/// The admission chain (issue: the admission chain with webhooks): the built-in plugins and
/// admission webhooks served over HTTPS by a real server the test starts, through kubectl and curl.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AdmissionTests(ClusterFixture cluster)
{
    [Fact]
    public async Task ResourceQuota_StopsTheFourthConfigMap_WithKubeApiServersMessage()
    {
        var ns = await cluster.CreateNamespaceAsync("quota");
        await cluster.KubectlOkAsync("create", "quota", "q", "-n", ns, "--hard=count/configmaps=3");
        for (var i = 0; i < 3; i++)
        {
            await cluster.KubectlOkAsync("create", "configmap", $"cm{i}", "-n", ns, "--from-literal=a=b");
        }

        var fourth = await cluster.KubectlAsync("create", "configmap", "cm3", "-n", ns, "--from-literal=a=b");
        Assert.NotEqual(0, fourth.ExitCode);
        Assert.Contains("configmaps \"cm3\" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=3, limited: count/configmaps=3", fourth.StdErr);

        var used = await cluster.KubectlOkAsync("get", "quota", "q", "-n", ns, "-o", "jsonpath={.status.used.count/configmaps}");
        Assert.Equal("3", used);
    }

    [Fact]
    public async Task ResourceQuota_ConcurrentCreatesNeverExceedIt()
    {
        var ns = await cluster.CreateNamespaceAsync("quota-race");
        await cluster.KubectlOkAsync("create", "quota", "q", "-n", ns, "--hard=configmaps=4");
        // Until the quota controller has counted what the namespace uses, creates are refused ("status unknown").
        await Eventually(async () => (await cluster.KubectlOkAsync("get", "quota", "q", "-n", ns, "-o", "jsonpath={.status.used.configmaps}")) == "0",
            "the quota's first usage count");
        var creates = Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ClusterFixture.Json($$$"""{"metadata":{"name":"cm{{{i}}}"}}"""));
            return response.StatusCode;
        }).ToArray();
        var codes = await Task.WhenAll(creates);

        Assert.Equal(4, codes.Count(c => c == HttpStatusCode.Created));
        Assert.Equal(8, codes.Count(c => c == HttpStatusCode.Forbidden));
        var stored = cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/configmaps/{ns}/", "--prefix", "--keys-only").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, stored.Length);
    }

    [Fact]
    public async Task LimitRangeDefaults_LandOnANewPod()
    {
        var ns = await cluster.CreateNamespaceAsync("limits");
        await ApplyContainerLimitsAsync(cluster, ns, """{"default":{"cpu":"300m","memory":"128Mi"},"defaultRequest":{"cpu":"100m","memory":"64Mi"},"max":{"cpu":"1"}}""");
        await cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27");

        var resources = JsonNode.Parse(await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "jsonpath={.spec.containers[0].resources}"))!;
        Assert.Equal("300m", resources["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("128Mi", resources["limits"]!["memory"]!.GetValue<string>());
        Assert.Equal("100m", resources["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal("64Mi", resources["requests"]!["memory"]!.GetValue<string>());
        var annotation = await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}");
        Assert.Equal("LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web", annotation);

        var tooBig = await cluster.KubectlAsync("run", "big", "-n", ns, "--image=nginx:1.27", "--overrides", """{"spec":{"containers":[{"name":"big","image":"nginx:1.27","resources":{"limits":{"cpu":"2"}}}]}}""");
        Assert.NotEqual(0, tooBig.ExitCode);
        Assert.Contains("maximum cpu usage per Container is 1, but limit is 2", tooBig.StdErr);
    }

    [Fact]
    public async Task WithoutTheWatchCache_AdmissionStillSeesWhatWasJustWritten()
    {
        // Clients read etcd; admission reads its own in-memory copy of what it consults, which must
        // already hold the namespace, its service account and the limit range created just before.
        var uncached = new ClusterFixture("--watch-cache=false");
        await uncached.InitializeAsync();
        try
        {
            var ns = await uncached.CreateNamespaceAsync("nocache");
            await ApplyContainerLimitsAsync(uncached, ns, """{"defaultRequest":{"cpu":"150m"}}""");
            await uncached.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27");

            var pod = JsonNode.Parse(await uncached.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "json"))!;
            Assert.Equal("150m", pod["spec"]!["containers"]![0]!["resources"]!["requests"]!["cpu"]!.GetValue<string>());
            Assert.Equal("default", pod["spec"]!["serviceAccountName"]!.GetValue<string>());
            Assert.StartsWith("kube-api-access-", pod["spec"]!["volumes"]![0]!["name"]!.GetValue<string>());

            // Clients still read (from etcd, as the storage tests show) what admission keeps in memory.
            var accounts = await uncached.GetJsonAsync($"/api/v1/namespaces/{ns}/serviceaccounts?resourceVersion=0");
            Assert.Equal("default", accounts["items"]!.AsArray().Single()!["metadata"]!["name"]!.GetValue<string>());

            var missing = await uncached.KubectlAsync("create", "configmap", "x", "-n", "no-such-namespace");
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("namespaces \"no-such-namespace\" not found", missing.StdErr);
        }
        finally
        {
            await uncached.DisposeAsync();
        }
    }

    [Fact]
    public async Task NamespaceLifecycle_RefusesNewContent_OnceTheNamespaceIsTerminating()
    {
        var ns = await cluster.CreateNamespaceAsync("ending");
        // The first create makes the server remember this namespace as active.
        await cluster.KubectlOkAsync("create", "configmap", "before", "-n", ns);

        // A finalizer of our own holds the namespace in Terminating until the test lets it go.
        await cluster.KubectlOkAsync("patch", "namespace", ns, "--type=merge", "-p", """{"metadata":{"finalizers":["example.com/hold"]}}""");
        await cluster.KubectlOkAsync("delete", "namespace", ns, "--wait=false");
        try
        {
            var refused = await cluster.KubectlAsync("create", "configmap", "after", "-n", ns);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains($"configmaps \"after\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", refused.StdErr);
        }
        finally
        {
            await cluster.KubectlOkAsync("patch", "namespace", ns, "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
        }
    }

    [Fact]
    public async Task ServiceAccountPlugin_GivesPodsTheDefaultAccountAndItsTokenVolume()
    {
        var ns = await cluster.CreateNamespaceAsync("sa");
        await cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27");
        var pod = JsonNode.Parse(await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "json"))!;
        Assert.Equal("default", pod["spec"]!["serviceAccountName"]!.GetValue<string>());
        var volume = pod["spec"]!["volumes"]!.AsArray().Single()!;
        Assert.StartsWith("kube-api-access-", volume["name"]!.GetValue<string>());
        Assert.Contains(volume["projected"]!["sources"]!.AsArray(), s => s!["serviceAccountToken"]?["expirationSeconds"]?.GetValue<long>() == 3607);
        var mount = pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray().Single()!;
        Assert.Equal("/var/run/secrets/kubernetes.io/serviceaccount", mount["mountPath"]!.GetValue<string>());
        Assert.True(mount["readOnly"]!.GetValue<bool>());

        var missing = await cluster.KubectlAsync("run", "orphan", "-n", ns, "--image=nginx:1.27", "--overrides", """{"spec":{"serviceAccountName":"nope"}}""");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains($"pods \"orphan\" is forbidden: error looking up service account {ns}/nope: serviceaccount \"nope\" not found", missing.StdErr);
    }

    [Fact]
    public async Task PriorityAndDefaultTolerationSeconds_AreFilledIn()
    {
        var ns = await cluster.CreateNamespaceAsync("priority");
        var className = "high-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.KubectlOkAsync("create", "priorityclass", className, "--value=1000");
        await cluster.KubectlOkAsync("run", "web", "-n", ns, "--image=nginx:1.27", "--overrides", $$$"""{"spec":{"priorityClassName":"{{{className}}}"}}""");

        var pod = JsonNode.Parse(await cluster.KubectlOkAsync("get", "pod", "web", "-n", ns, "-o", "json"))!;
        Assert.Equal(1000, pod["spec"]!["priority"]!.GetValue<int>());
        var tolerations = pod["spec"]!["tolerations"]!.AsArray();
        Assert.Contains(tolerations, t => t!["key"]!.GetValue<string>() == "node.kubernetes.io/not-ready" && t["tolerationSeconds"]!.GetValue<long>() == 300 && t["effect"]!.GetValue<string>() == "NoExecute");
        Assert.Contains(tolerations, t => t!["key"]!.GetValue<string>() == "node.kubernetes.io/unreachable" && t["tolerationSeconds"]!.GetValue<long>() == 300);

        Assert.Contains("system-cluster-critical", await cluster.KubectlOkAsync("get", "priorityclasses", "-o", "name"));
        var unknown = await cluster.KubectlAsync("run", "nobody", "-n", ns, "--image=nginx:1.27", "--overrides", """{"spec":{"priorityClassName":"no-such-class"}}""");
        Assert.Contains("no PriorityClass with name no-such-class was found", unknown.StdErr);
    }

    [Fact]
    public async Task Webhooks_ValidatingDeniesLabelledPods_MutatingAddsALabel_WarningsReachKubectl()
    {
        await using var webhook = await WebhookServer.StartAsync(cluster);
        var id = Guid.NewGuid().ToString("N")[..6];
        var ns = await cluster.CreateNamespaceAsync("webhooks");
        await cluster.KubectlOkAsync("label", "namespace", ns, $"webhook-test={id}");
        await CreateAsync(Configuration("MutatingWebhookConfiguration", $"mutate-{id}", "label.example.com", webhook.Url("/mutate"), id, "pods", "Fail", 10));
        await CreateAsync(Configuration("ValidatingWebhookConfiguration", $"validate-{id}", "deny.example.com", webhook.Url("/validate"), id, "pods", "Fail", 10));
        try
        {
            // Configurations take effect once the server's watch has seen them, each kind on its own watch,
            // so the validating one can be in force before the mutating one (or the reverse). Probed with
            // server-side dry runs, so nothing is created while waiting; a refusal for another reason (a
            // webhook call that timed out on a loaded machine) is not yet the webhook's answer, so the wait
            // goes on until the webhook's own denial comes.
            const string denial = "admission webhook \"deny.example.com\" denied the request: pods labelled deny=true are not welcome";
            ProcessResult denied = null!;
            await Eventually(async () =>
            {
                denied = await cluster.KubectlAsync("run", "denied", "-n", ns, "--image=nginx:1.27", "--labels=deny=true", "--dry-run=server");
                return denied.ExitCode != 0 && denied.StdErr.Contains(denial, StringComparison.Ordinal);
            }, "the validating webhook to deny", () => denied.ToString());
            Assert.NotEqual(0, denied.ExitCode);
            Assert.Contains(denial, denied.StdErr);
            await Eventually(async () =>
            {
                var probe = await cluster.KubectlAsync("run", "probe", "-n", ns, "--image=nginx:1.27", "--dry-run=server", "-o", "jsonpath={.metadata.labels.mutated}");
                return probe.ExitCode == 0 && probe.StdOut == "yes";
            }, "the mutating webhook to add its label");

            var created = await cluster.KubectlAsync("run", "welcome", "-n", ns, "--image=nginx:1.27");
            Assert.True(created.ExitCode == 0, created.ToString());
            Assert.Contains("Warning: checked by the test webhook", created.StdErr);
            Assert.Equal("yes", await cluster.KubectlOkAsync("get", "pod", "welcome", "-n", ns, "-o", "jsonpath={.metadata.labels.mutated}"));

            // The webhooks saw AdmissionReview v1 with the user and the object; the validating one saw the mutation.
            var reviews = webhook.Reviews();
            var validated = reviews.Last(r => r["path"]!.GetValue<string>().StartsWith("/validate", StringComparison.Ordinal) && r["request"]!["name"]?.GetValue<string>() == "welcome");
            Assert.Equal("CREATE", validated["request"]!["operation"]!.GetValue<string>());
            Assert.Equal("kubernetes-admin", validated["request"]!["userInfo"]!["username"]!.GetValue<string>());
            Assert.Equal("yes", validated["request"]!["object"]!["metadata"]!["labels"]!["mutated"]!.GetValue<string>());

            // Namespaces without the label are not sent to the webhooks.
            var other = await cluster.CreateNamespaceAsync("no-webhooks");
            await cluster.KubectlOkAsync("run", "free", "-n", other, "--image=nginx:1.27", "--labels=deny=true");
        }
        finally
        {
            await cluster.KubectlAsync("delete", "mutatingwebhookconfiguration", $"mutate-{id}");
            await cluster.KubectlAsync("delete", "validatingwebhookconfiguration", $"validate-{id}");
        }
    }

    [Fact]
    public async Task WebhookThatTimesOut_HonoursFailurePolicy()
    {
        await using var webhook = await WebhookServer.StartAsync(cluster);
        var id = Guid.NewGuid().ToString("N")[..6];
        var ns = await cluster.CreateNamespaceAsync("slow-webhook");
        await cluster.KubectlOkAsync("label", "namespace", ns, $"webhook-test={id}");
        var name = $"slow-{id}";
        await CreateAsync(Configuration("ValidatingWebhookConfiguration", name, "slow.example.com", webhook.Url("/slow"), id, "configmaps", "Fail", 1));
        try
        {
            ProcessResult failed = null!;
            await Eventually(async () =>
            {
                failed = await cluster.KubectlAsync("create", "configmap", "c" + Guid.NewGuid().ToString("N")[..4], "-n", ns, "--dry-run=server");
                return failed.ExitCode != 0;
            }, "the slow webhook to be called");
            Assert.Contains("Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"" + webhook.Url("/slow") + "?timeout=1s\": context deadline exceeded", failed.StdErr);

            // With failurePolicy Ignore the same timeout lets the write through.
            var replaced = await cluster.KubectlWithInputAsync(Configuration("ValidatingWebhookConfiguration", name, "slow.example.com", webhook.Url("/slow"), id, "configmaps", "Ignore", 1), "replace", "-f", "-");
            Assert.True(replaced.ExitCode == 0, replaced.ToString());
            await Eventually(async () => (await cluster.KubectlAsync("create", "configmap", "i" + Guid.NewGuid().ToString("N")[..4], "-n", ns)).ExitCode == 0,
                "failurePolicy Ignore to let the write through");
        }
        finally
        {
            await cluster.KubectlAsync("delete", "validatingwebhookconfiguration", name);
        }
    }

    [Fact]
    public async Task MutatingWebhook_RemovingADefaultedField_TheServerDefaultsItAgain()
    {
        // kube's webhook dispatcher runs the kind's defaulting on the object a webhook patched, so a
        // default the webhook removes (a Service's sessionAffinity) is stored all the same.
        await using var webhook = await WebhookServer.StartAsync(cluster);
        var id = Guid.NewGuid().ToString("N")[..6];
        var ns = await cluster.CreateNamespaceAsync("redefault");
        await cluster.KubectlOkAsync("label", "namespace", ns, $"webhook-test={id}");
        var name = $"strip-{id}";
        await CreateAsync(Configuration("MutatingWebhookConfiguration", name, "strip.example.com", webhook.Url("/strip"), id, "services", "Fail", 10));
        try
        {
            await Eventually(async () =>
            {
                await cluster.KubectlAsync("create", "service", "clusterip", "probe", "--tcp=80:80", "-n", ns, "--dry-run=server");
                return webhook.Reviews().Any(r => r["request"]!["name"]?.GetValue<string>() == "probe");
            }, "the mutating webhook to see services");

            await cluster.KubectlOkAsync("create", "service", "clusterip", "web", "--tcp=80:80", "-n", ns);
            var seen = webhook.Reviews().Last(r => r["request"]!["name"]?.GetValue<string>() == "web");
            Assert.Equal("None", seen["request"]!["object"]!["spec"]!["sessionAffinity"]!.GetValue<string>());
            Assert.Equal("None", await cluster.KubectlOkAsync("get", "service", "web", "-n", ns, "-o", "jsonpath={.spec.sessionAffinity}"));
        }
        finally
        {
            await cluster.KubectlAsync("delete", "mutatingwebhookconfiguration", name);
        }
    }

    [Fact]
    public async Task Delete_RunsValidatingAdmissionInsideTheStorageRetry_OnTheObjectItDeletes()
    {
        // The webhook allows the delete of an unlabelled configmap, slowly; meanwhile the configmap
        // gets deny=true. The delete's write then finds a newer object and retries, admission sees
        // the new one and refuses it, as kube-apiserver does (admission inside GuaranteedDelete).
        await using var webhook = await WebhookServer.StartAsync(cluster);
        var id = Guid.NewGuid().ToString("N")[..6];
        var ns = await cluster.CreateNamespaceAsync("delete-admission");
        await cluster.KubectlOkAsync("label", "namespace", ns, $"webhook-test={id}");
        await cluster.KubectlOkAsync("create", "configmap", "probe", "-n", ns);
        await cluster.KubectlOkAsync("label", "configmap", "probe", "-n", ns, "deny=true");
        await cluster.KubectlOkAsync("create", "configmap", "guarded", "-n", ns);
        var name = $"slow-delete-{id}";
        await CreateAsync(Configuration("ValidatingWebhookConfiguration", name, "delete.example.com", webhook.Url("/slow-delete"), id, "configmaps", "Fail", 15, "DELETE"));
        try
        {
            await Eventually(async () => (await cluster.KubectlAsync("delete", "configmap", "probe", "-n", ns, "--dry-run=server")).ExitCode != 0,
                "the validating webhook to see deletes");

            var delete = cluster.KubectlAsync("delete", "configmap", "guarded", "-n", ns);
            await Eventually(
                () => Task.FromResult(webhook.Reviews().Any(r => r["request"]!["name"]?.GetValue<string>() == "guarded")),
                "the webhook to be asked about the delete");
            using (var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/guarded")
            {
                Content = new StringContent("""{"metadata":{"labels":{"deny":"true"}}}""", System.Text.Encoding.UTF8, "application/merge-patch+json"),
            })
            using (var patched = await cluster.Http.SendAsync(patch))
            {
                Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            }

            var result = await delete;
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("admission webhook \"delete.example.com\" denied the request: objects labelled deny=true may not be deleted", result.StdErr);
            Assert.Equal("true", await cluster.KubectlOkAsync("get", "configmap", "guarded", "-n", ns, "-o", "jsonpath={.metadata.labels.deny}"));
            var asked = webhook.Reviews().Where(r => r["request"]!["name"]?.GetValue<string>() == "guarded").ToArray();
            Assert.Equal(2, asked.Length);
            Assert.All(asked, r => Assert.Equal("DELETE", r["request"]!["operation"]!.GetValue<string>()));
            Assert.Null(asked[0]["request"]!["oldObject"]!["metadata"]!["labels"]);
        }
        finally
        {
            await cluster.KubectlAsync("delete", "validatingwebhookconfiguration", name);
        }
    }

    private async Task CreateAsync(string yaml)
    {
        var result = await cluster.KubectlWithInputAsync(yaml, "create", "-f", "-");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private string Configuration(string kind, string name, string webhookName, string url, string id, string resource, string failurePolicy, int timeoutSeconds, string operation = "CREATE")
    {
        var caBundle = Convert.ToBase64String(File.ReadAllBytes(cluster.Pki.CaCertificatePath));
        return $"""
            apiVersion: admissionregistration.k8s.io/v1
            kind: {kind}
            metadata:
              name: {name}
            webhooks:
            - name: {webhookName}
              clientConfig:
                url: {url}
                caBundle: {caBundle}
              rules:
              - apiGroups: [""]
                apiVersions: ["v1"]
                operations: ["{operation}"]
                resources: ["{resource}"]
              namespaceSelector:
                matchLabels:
                  webhook-test: "{id}"
              failurePolicy: {failurePolicy}
              sideEffects: None
              timeoutSeconds: {timeoutSeconds}
              admissionReviewVersions: ["v1"]
            """;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. The deadline only bounds a wait for the server's
    /// watches to catch up (slow on a loaded 2-core machine, where kubectl alone can take seconds); it is
    /// never what a test asserts.
    /// </summary>
    private static async Task Eventually(Func<Task<bool>> condition, string what, Func<string>? lastSeen = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}{(lastSeen is null ? "" : ": " + lastSeen())}");
            await Task.Delay(250);
        }
    }

    /// <summary>kubectl applies a LimitRange "defaults" with one Container item (its fields as JSON) to <paramref name="ns"/>.</summary>
    private static async Task ApplyContainerLimitsAsync(ClusterFixture on, string ns, string containerLimits)
    {
        var item = JsonNode.Parse(containerLimits)!.AsObject();
        item["type"] = "Container";
        var limitRange = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "LimitRange",
            ["metadata"] = new JsonObject { ["name"] = "defaults", ["namespace"] = ns },
            ["spec"] = new JsonObject { ["limits"] = new JsonArray(item) },
        };
        var applied = await on.KubectlWithInputAsync(limitRange.ToJsonString(), "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());
    }
}
