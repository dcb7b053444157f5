using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Auth;

/// <summary>
/// Who may do what (issue: tokens and service accounts, RBAC, the review APIs), through kubectl,
/// curl and the official Python client against the real server running Node,RBAC authorization.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AuthenticationAuthorizationTests(ClusterFixture cluster)
{
    /// <summary>kubectl with its own kubeconfig (a user other than the admin).</summary>
    private Task<ProcessResult> KubectlAs(string kubeconfig, params string[] args) =>
        ProcessRunner.RunAsync("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(cluster.WorkDirectory, "kube-cache"), .. args], timeout: TimeSpan.FromSeconds(90));

    private async Task<string> KubeconfigForCertificateAsync(string commonName, params string[] groups)
    {
        var certificate = cluster.Pki.IssueClientCertificate(commonName + "-" + Guid.NewGuid().ToString("N")[..6], commonName, groups);
        var path = Path.Combine(cluster.WorkDirectory, $"{commonName}-{Guid.NewGuid().ToString("N")[..6]}.kubeconfig");
        await File.WriteAllTextAsync(path, cluster.KubeconfigFor(certificate));
        return path;
    }

    private async Task<string> KubeconfigForTokenAsync(string token)
    {
        var path = Path.Combine(cluster.WorkDirectory, $"token-{Guid.NewGuid().ToString("N")[..6]}.kubeconfig");
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: {cluster.ServerUrl}
                certificate-authority: {cluster.Pki.CaCertificatePath}
            users:
            - name: u
              user:
                token: {token}
            contexts:
            - name: c
              context:
                cluster: c
                user: u
            current-context: c
            """);
        return path;
    }

    /// <summary>A namespace where group <c>dev</c> may read pods (and nothing else), as an admin would set it up.</summary>
    private async Task<string> NamespaceWithPodReadersAsync()
    {
        var ns = await cluster.CreateNamespaceAsync("rbac");
        await cluster.KubectlOkAsync("create", "role", "pod-reader", "-n", ns, "--verb=get,list,watch", "--resource=pods");
        await cluster.KubectlOkAsync("create", "rolebinding", "dev-pod-readers", "-n", ns, "--role=pod-reader", "--group=dev");
        return ns;
    }

    [Fact]
    public async Task DevGroupBoundToARole_ListsPodsButNotSecrets()
    {
        var ns = await NamespaceWithPodReadersAsync();
        var dave = await KubeconfigForCertificateAsync("dave", "dev");

        var pods = await KubectlAs(dave, "get", "pods", "-n", ns);
        Assert.True(pods.ExitCode == 0, pods.ToString());
        Assert.Contains($"No resources found in {ns} namespace.", pods.StdErr);

        var secrets = await KubectlAs(dave, "get", "secrets", "-n", ns);
        Assert.NotEqual(0, secrets.ExitCode);
        Assert.Contains($"Error from server (Forbidden): secrets is forbidden: User \"dave\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", secrets.StdErr);

        // Another namespace is not covered by the binding.
        var elsewhere = await KubectlAs(dave, "get", "pods", "-n", "default");
        Assert.Contains("User \"dave\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", elsewhere.StdErr);
    }

    [Fact]
    public async Task NobodyGrantsWhatTheyDoNotHold_UnlessTheyMayBind()
    {
        var ns = await NamespaceWithPodReadersAsync();
        // dave may also manage role bindings and roles in the namespace, but holds nothing more.
        await cluster.KubectlOkAsync("create", "role", "binder", "-n", ns, "--verb=create,get,list,update,delete", "--resource=rolebindings,roles");
        await cluster.KubectlOkAsync("create", "rolebinding", "dev-binders", "-n", ns, "--role=binder", "--group=dev");
        var dave = await KubeconfigForCertificateAsync("dave", "dev");

        var admin = await KubectlAs(dave, "create", "rolebinding", "dave-admin", "-n", ns, "--clusterrole=cluster-admin", "--user=dave");
        Assert.NotEqual(0, admin.ExitCode);
        Assert.Contains($"rolebindings.rbac.authorization.k8s.io \"dave-admin\" is forbidden: user \"dave\" (groups=[\"dev\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:", admin.StdErr);
        Assert.Contains("{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}", admin.StdErr);

        var clusterWide = await KubectlAs(dave, "create", "clusterrolebinding", "dave-admin", "--clusterrole=cluster-admin", "--user=dave");
        Assert.Contains("clusterrolebindings.rbac.authorization.k8s.io is forbidden: User \"dave\" cannot create resource \"clusterrolebindings\"", clusterWide.StdErr);

        var role = await KubectlAs(dave, "create", "role", "secret-reader", "-n", ns, "--verb=get", "--resource=secrets");
        Assert.NotEqual(0, role.ExitCode);
        Assert.Contains("is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}", role.StdErr);

        // What dave holds, dave may grant.
        var share = await KubectlAs(dave, "create", "rolebinding", "erin-pod-readers", "-n", ns, "--role=pod-reader", "--user=erin");
        Assert.True(share.ExitCode == 0, share.ToString());

        // With bind on the cluster role, the binding is allowed without holding its rules.
        await cluster.KubectlOkAsync("create", "role", "bind-view", "-n", ns, "--verb=bind", "--resource=clusterroles.rbac.authorization.k8s.io", "--resource-name=view");
        await cluster.KubectlOkAsync("create", "rolebinding", "dev-bind-view", "-n", ns, "--role=bind-view", "--group=dev");
        var view = await KubectlAs(dave, "create", "rolebinding", "erin-view", "-n", ns, "--clusterrole=view", "--user=erin");
        Assert.True(view.ExitCode == 0, view.ToString());
    }

    [Fact]
    public async Task KubectlAuthCanI_AnswersAsRbacDecides()
    {
        var ns = await NamespaceWithPodReadersAsync();
        var dave = await KubeconfigForCertificateAsync("dave", "dev");

        var yes = await KubectlAs(dave, "auth", "can-i", "list", "pods", "-n", ns);
        Assert.Equal(0, yes.ExitCode);
        Assert.Equal("yes", yes.StdOut.Trim());

        var no = await KubectlAs(dave, "auth", "can-i", "delete", "pods", "-n", ns);
        Assert.Equal(1, no.ExitCode);
        Assert.Equal("no", no.StdOut.Trim());

        var list = await KubectlAs(dave, "auth", "can-i", "--list", "-n", ns);
        Assert.True(list.ExitCode == 0, list.ToString());
        var podsLine = list.StdOut.Split('\n').Single(l => l.StartsWith("pods ", StringComparison.Ordinal));
        Assert.EndsWith("[get list watch]", podsLine.Trim());
        Assert.Contains(list.StdOut.Split('\n'), l => l.StartsWith("selfsubjectaccessreviews.authorization.k8s.io", StringComparison.Ordinal));
        Assert.Contains(list.StdOut.Split('\n'), l => l.Contains("[/api/*]", StringComparison.Ordinal));

        // An admin asks on dave's behalf (SubjectAccessReview through impersonation headers).
        Assert.Equal("yes", (await cluster.KubectlOkAsync("auth", "can-i", "watch", "pods", "-n", ns, "--as=dave", "--as-group=dev")).Trim());
        var asNo = await cluster.KubectlAsync("auth", "can-i", "get", "secrets", "-n", ns, "--as=dave", "--as-group=dev");
        Assert.Equal("no", asNo.StdOut.Trim());
    }

    [Fact]
    public async Task SubjectAccessReview_ByCurl_IsAllowedOrNotWithAReason()
    {
        var ns = await NamespaceWithPodReadersAsync();
        var review = $$$$"""{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"dave","groups":["dev"],"resourceAttributes":{"namespace":"{{{{ns}}}}","verb":"list","resource":"pods"}}}""";
        using var response = await cluster.Http.PostAsync("/apis/authorization.k8s.io/v1/subjectaccessreviews", ClusterFixture.Json(review));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var answered = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(answered["status"]!["allowed"]!.GetValue<bool>());
        Assert.Equal($"RBAC: allowed by RoleBinding \"dev-pod-readers/{ns}\" of Role \"pod-reader\" to Group \"dev\"", answered["status"]!["reason"]!.GetValue<string>());

        var local = $$$$"""{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","spec":{"user":"dave","resourceAttributes":{"namespace":"other","verb":"list","resource":"pods"}}}""";
        using var mismatch = await cluster.Http.PostAsync($"/apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews", ClusterFixture.Json(local));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Contains($"spec.resourceAttributes.namespace must match namespace: {ns}", await mismatch.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task KubectlAuthWhoami_ShowsTheCertificatesUserAndGroups()
    {
        var dave = await KubeconfigForCertificateAsync("dave", "dev", "qa");
        var whoami = await KubectlAs(dave, "auth", "whoami");
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Matches(@"Username\s+dave", whoami.StdOut);
        Assert.Matches(@"Groups\s+\[dev qa system:authenticated\]", whoami.StdOut);

        var json = JsonNode.Parse(await cluster.KubectlOkAsync("auth", "whoami", "-o", "json"))!;
        Assert.Equal("SelfSubjectReview", json["kind"]!.GetValue<string>());
        Assert.Equal("kubernetes-admin", json["status"]!["userInfo"]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task StaticTokenFile_AuthenticatesItsUser()
    {
        var tina = await KubeconfigForTokenAsync(ClusterFixture.StaticToken);
        var whoami = await KubectlAs(tina, "auth", "whoami");
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Matches(@"Username\s+tina", whoami.StdOut);
        Assert.Matches(@"UID\s+uid-tina", whoami.StdOut);
        Assert.Matches(@"Groups\s+\[ops dev system:authenticated\]", whoami.StdOut);
    }

    [Fact]
    public async Task KubectlCreateToken_ThenRequestsWithThatBearerToken()
    {
        var ns = await cluster.CreateNamespaceAsync("token");
        await cluster.KubectlOkAsync("create", "serviceaccount", "robot", "-n", ns);
        await cluster.KubectlOkAsync("create", "rolebinding", "robot-view", "-n", ns, "--clusterrole=view", $"--serviceaccount={ns}:robot");

        var token = (await cluster.KubectlOkAsync("create", "token", "robot", "-n", ns, "--duration=20m")).Trim();
        Assert.Equal(3, token.Split('.').Length);
        var robot = await KubeconfigForTokenAsync(token);

        var whoami = await KubectlAs(robot, "auth", "whoami");
        Assert.Matches($@"Username\s+system:serviceaccount:{ns}:robot", whoami.StdOut);
        Assert.Matches($@"Groups\s+\[system:serviceaccounts system:serviceaccounts:{ns} system:authenticated\]", whoami.StdOut);

        // The aggregated view role lets it read configmaps, not secrets.
        var configMaps = await KubectlAs(robot, "get", "configmaps", "-n", ns);
        Assert.True(configMaps.ExitCode == 0, configMaps.ToString());
        var secrets = await KubectlAs(robot, "get", "secrets", "-n", ns);
        Assert.Contains($"User \"system:serviceaccount:{ns}:robot\" cannot list resource \"secrets\"", secrets.StdErr);

        // TokenReview says the same, with the token's audience.
        var review = $$$"""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"{{{token}}}"}}""";
        using var reviewed = await cluster.Http.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", ClusterFixture.Json(review));
        var status = JsonNode.Parse(await reviewed.Content.ReadAsStringAsync())!["status"]!;
        Assert.True(status["authenticated"]!.GetValue<bool>());
        Assert.Equal($"system:serviceaccount:{ns}:robot", status["user"]!["username"]!.GetValue<string>());

        // A token outlives neither its service account nor a recreated one of the same name.
        await cluster.KubectlOkAsync("delete", "serviceaccount", "robot", "-n", ns);
        await cluster.KubectlOkAsync("create", "serviceaccount", "robot", "-n", ns);
        var revoked = await KubectlAs(robot, "get", "configmaps", "-n", ns);
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.Contains("Unauthorized", revoked.StdErr);
    }

    [Fact]
    public async Task TokenRequest_RefusesShortLivesAndBindsToAPod()
    {
        var ns = await cluster.CreateNamespaceAsync("tokenrequest");
        var tooShort = await cluster.KubectlAsync("create", "token", "default", "-n", ns, "--duration=5m");
        Assert.NotEqual(0, tooShort.ExitCode);
        Assert.Contains("may not specify a duration less than 10 minutes", tooShort.StdErr);

        await cluster.KubectlOkAsync("run", "holder", "-n", ns, "--image=nginx:1.27");
        var token = (await cluster.KubectlOkAsync("create", "token", "default", "-n", ns, "--bound-object-kind=Pod", "--bound-object-name=holder")).Trim();
        var claims = JsonNode.Parse(Convert.FromBase64String(PadBase64(token.Split('.')[1])))!;
        Assert.Equal("holder", claims["kubernetes.io"]!["pod"]!["name"]!.GetValue<string>());
        Assert.Equal(ClusterFixture.ServiceAccountIssuer, claims["iss"]!.GetValue<string>());

        // Bound to the pod: it stops working when the pod is gone.
        var holder = await KubeconfigForTokenAsync(token);
        Assert.Contains("system:serviceaccount:" + ns + ":default", (await KubectlAs(holder, "auth", "whoami")).StdOut);
        await cluster.KubectlOkAsync("delete", "pod", "holder", "-n", ns, "--wait=false", "--grace-period=0", "--force");
        var after = await KubectlAs(holder, "auth", "whoami");
        Assert.Contains("Unauthorized", after.StdErr);
    }

    [Fact]
    public async Task Impersonation_NeedsTheImpersonateVerb()
    {
        var ns = await NamespaceWithPodReadersAsync();
        var asDave = await cluster.KubectlAsync("get", "secrets", "-n", ns, "--as=dave", "--as-group=dev");
        Assert.Contains($"User \"dave\" cannot list resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", asDave.StdErr);
        var podsAsDave = await cluster.KubectlAsync("get", "pods", "-n", ns, "--as=dave", "--as-group=dev");
        Assert.True(podsAsDave.ExitCode == 0, podsAsDave.ToString());

        var dave = await KubeconfigForCertificateAsync("dave", "dev");
        var escalate = await KubectlAs(dave, "get", "pods", "-n", ns, "--as=kubernetes-admin", "--as-group=system:masters");
        Assert.NotEqual(0, escalate.ExitCode);
        Assert.Contains("users.authentication.k8s.io \"kubernetes-admin\" is forbidden: User \"dave\" cannot impersonate resource \"users\" in API group \"authentication.k8s.io\" at the cluster scope", escalate.StdErr);
    }

    [Fact]
    public async Task BootstrapRoles_ExistAndAggregate()
    {
        var names = await cluster.KubectlOkAsync("get", "clusterroles", "-o", "name");
        foreach (var role in new[] { "cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery", "system:public-info-viewer", "system:node", "system:kube-scheduler" })
        {
            Assert.Contains($"clusterrole.rbac.authorization.k8s.io/{role}\n", names);
        }

        var bindings = await cluster.KubectlOkAsync("get", "clusterrolebinding", "cluster-admin", "-o", "jsonpath={.subjects[0].kind}/{.subjects[0].name}");
        Assert.Equal("Group/system:masters", bindings);

        // A ClusterRole labelled to aggregate into view shows up in view, edit and admin.
        var name = "widgets-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.KubectlWithInputAsync($$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: {{name}}
              labels:
                rbac.authorization.k8s.io/aggregate-to-view: "true"
            rules:
            - apiGroups: ["example.com"]
              resources: ["{{name}}"]
              verbs: ["get", "list", "watch"]
            """, "apply", "-f", "-");
        foreach (var role in new[] { "view", "edit", "admin" })
        {
            await Eventually(async () => (await cluster.KubectlOkAsync("get", "clusterrole", role, "-o", "jsonpath={.rules[*].resources}")).Contains(name, StringComparison.Ordinal),
                $"the rules of {name} aggregated into {role}");
        }
    }

    [Fact]
    public async Task PythonClient_SelfSubjectAccessReview()
    {
        var ns = await NamespaceWithPodReadersAsync();
        var dave = await KubeconfigForCertificateAsync("dave", "dev");
        var script = $$"""
            from kubernetes import client, config
            config.load_kube_config(config_file="{{dave}}")
            api = client.AuthorizationV1Api()
            def ask(verb, resource):
                review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
                    resource_attributes=client.V1ResourceAttributes(namespace="{{ns}}", verb=verb, resource=resource)))
                return api.create_self_subject_access_review(review).status.allowed
            print(ask("list", "pods"), ask("list", "secrets"))
            """;
        // Debian's client is installed for the system interpreter.
        var result = await ProcessRunner.RunAsync("/usr/bin/python3", ["-c", script]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("True False", result.StdOut.Trim());
    }

    private static string PadBase64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
