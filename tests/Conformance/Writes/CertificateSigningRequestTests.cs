using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Writes;

/// <summary>
/// CertificateSigningRequests as kube's csr strategy and certificate admission plugins treat them:
/// the requester is recorded from the authenticated (or impersonated) user, the approval
/// subresource backs `kubectl certificate approve|deny` and needs `approve` on the signer.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CertificateSigningRequestTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Create_RecordsTheRequester_EvenUnderImpersonation_AndOverwritesClientValues()
    {
        var name = "csr-who-" + Guid.NewGuid().ToString("N")[..6];
        var manifest = Manifest(name, "example.com/who", """
              username: mallory
              uid: forged
              groups: [system:masters]
              extra: {forged: ["yes"]}
            """);
        Assert.Contains("created", await cluster.KubectlWithInputAsync(manifest, "create", "-f", "-", "--as=alice", "--as-uid=alice-uid",
            "--as-group=system:masters", "--as-group=devs").ContinueWith(t => t.Result.StdOut + t.Result.StdErr));

        var csr = await cluster.GetJsonAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}");
        var spec = csr["spec"]!;
        Assert.Equal("alice", spec["username"]!.GetValue<string>());
        Assert.Equal("alice-uid", spec["uid"]!.GetValue<string>());
        Assert.Equal(["system:masters", "devs", "system:authenticated"], spec["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Null(spec["extra"]);
        Assert.Equal("{}", csr["status"]!.ToJsonString());

        // Extra comes from the user too (impersonated here with Impersonate-Extra-*).
        var second = name + "-x";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/apis/certificates.k8s.io/v1/certificatesigningrequests")
        {
            Content = ClusterFixture.Json(new JsonObject
            {
                ["apiVersion"] = "certificates.k8s.io/v1",
                ["kind"] = "CertificateSigningRequest",
                ["metadata"] = new JsonObject { ["name"] = second },
                ["spec"] = new JsonObject
                {
                    ["request"] = Request("CN=x"),
                    ["signerName"] = "example.com/who",
                    ["usages"] = new JsonArray("client auth"),
                    ["username"] = "mallory",
                },
                ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Approved", ["status"] = "True" }) },
            }.ToJsonString()),
        };
        request.Headers.Add("Impersonate-User", "carol");
        request.Headers.Add("Impersonate-Group", "system:masters");
        request.Headers.Add("Impersonate-Extra-Reason", "rotation");
        using var created = await cluster.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var answered = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal("carol", answered["spec"]!["username"]!.GetValue<string>());
        Assert.Equal("""{"reason":["rotation"]}""", answered["spec"]!["extra"]!.ToJsonString());
        Assert.Null(answered["status"]!["conditions"]);

        // The main resource changes neither spec nor status.
        await cluster.KubectlOkAsync("label", "csr", second, "team=a");
        var relabelled = await cluster.GetJsonAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{second}");
        Assert.Equal("carol", relabelled["spec"]!["username"]!.GetValue<string>());
        await cluster.KubectlOkAsync("delete", "csr", name, second);
    }

    [Fact]
    public async Task KubectlCertificateApproveAndDeny_GoThroughTheApprovalSubresource()
    {
        var approved = "csr-ok-" + Guid.NewGuid().ToString("N")[..6];
        var denied = approved.Replace("ok", "no", StringComparison.Ordinal);
        await cluster.KubectlWithInputAsync(Manifest(approved, "example.com/approve", "") + "---\n" + Manifest(denied, "example.com/approve", ""), "create", "-f", "-");

        Assert.Contains($"certificatesigningrequest.certificates.k8s.io/{approved} approved", await cluster.KubectlOkAsync("certificate", "approve", approved));
        Assert.Contains($"certificatesigningrequest.certificates.k8s.io/{denied} denied", await cluster.KubectlOkAsync("certificate", "deny", denied));

        var condition = (await cluster.GetJsonAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{approved}"))["status"]!["conditions"]![0]!;
        Assert.Equal("Approved", condition["type"]!.GetValue<string>());
        Assert.Equal("True", condition["status"]!.GetValue<string>());
        Assert.Equal("KubectlApprove", condition["reason"]!.GetValue<string>());
        Assert.NotNull(condition["lastUpdateTime"]);
        Assert.NotNull(condition["lastTransitionTime"]);
        Assert.Equal("Denied", (await cluster.KubectlOkAsync("get", "csr", denied, "-o", "jsonpath={.status.conditions[0].type}")).Trim());
        Assert.Contains("Approved", await cluster.KubectlOkAsync("get", "csr", approved, "-o", "jsonpath={.status.conditions[*].type}"));

        // Approved and Denied exclude each other (kube's validation of the approval update).
        var twice = await cluster.GetJsonAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{approved}");
        twice["status"]!["conditions"]!.AsArray().Add(new JsonObject { ["type"] = "Denied", ["status"] = "True" });
        using (var both = await cluster.Http.PutAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{approved}/approval", ClusterFixture.Json(twice.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, both.StatusCode);
            Assert.Contains("Approved and Denied conditions are mutually exclusive", await both.Content.ReadAsStringAsync());
        }

        // /status may not add an approval; /approval may not set the certificate.
        var csr = await cluster.GetJsonAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{denied}");
        csr["status"]!["conditions"]!.AsArray().Add(new JsonObject { ["type"] = "Approved", ["status"] = "True" });
        using (var viaStatus = await cluster.Http.PutAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{denied}/status", ClusterFixture.Json(csr.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, viaStatus.StatusCode);
            Assert.Contains("updates may not add a condition of type \\\"Approved\\\"", await viaStatus.Content.ReadAsStringAsync());
        }

        using (var cert = await cluster.Http.PatchAsync($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{approved}/approval",
            new StringContent("""{"status":{"certificate":"Zm9v"}}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, cert.StatusCode);
            Assert.Null(JsonNode.Parse(await cert.Content.ReadAsStringAsync())!["status"]!["certificate"]);
        }

        await cluster.KubectlOkAsync("delete", "csr", approved, denied);
    }

    [Fact]
    public async Task Approval_NeedsApproveOnTheSigner()
    {
        var name = "csr-authz-" + Guid.NewGuid().ToString("N")[..6];
        var user = "approver-" + name;
        await cluster.KubectlWithInputAsync(Manifest(name, "example.com/guarded", ""), "create", "-f", "-");
        await cluster.KubectlWithInputAsync($"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: {user}
            rules:
            - apiGroups: [certificates.k8s.io]
              resources: [certificatesigningrequests, certificatesigningrequests/approval]
              verbs: [get, list, update]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: {user}
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: {user}
            subjects:
            - kind: User
              name: {user}
            """, "create", "-f", "-");

        var refused = await cluster.KubectlAsync("certificate", "approve", name, $"--as={user}");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"certificatesigningrequests.certificates.k8s.io \"{name}\" is forbidden: user not permitted to approve requests with signerName \"example.com/guarded\"", refused.StdErr);

        // approve on the signer's domain with /* is enough, as kube's IsAuthorizedForSignerName allows.
        await cluster.KubectlWithInputAsync($"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: {user}-signer
            rules:
            - apiGroups: [certificates.k8s.io]
              resources: [signers]
              resourceNames: ["example.com/*"]
              verbs: [approve]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: {user}-signer
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: {user}-signer
            subjects:
            - kind: User
              name: {user}
            """, "create", "-f", "-");
        await RetryAsync(async () => Assert.Contains("approved", await cluster.KubectlOkAsync("certificate", "approve", name, $"--as={user}")));

        // CertificateSubjectRestriction: no system:masters through the kube-apiserver-client signer.
        var masters = await cluster.KubectlWithInputAsync(Manifest(name + "-m", "kubernetes.io/kube-apiserver-client", "", "CN=evil,O=system:masters"), "create", "-f", "-");
        Assert.NotEqual(0, masters.ExitCode);
        Assert.Contains("use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed", masters.StdErr);
        await cluster.KubectlOkAsync("delete", "csr", name);
        await cluster.KubectlOkAsync("delete", "clusterrole,clusterrolebinding", user, user + "-signer");
    }

    private static async Task RetryAsync(Func<Task> attempt)
    {
        // RBAC changes reach the authorizer through its watch; give it a moment.
        for (var i = 0; ; i++)
        {
            try
            {
                await attempt();
                return;
            }
            catch (Exception) when (i < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    private static string Manifest(string name, string signer, string extraSpec, string subject = "CN=someone") => $"""
        apiVersion: certificates.k8s.io/v1
        kind: CertificateSigningRequest
        metadata:
          name: {name}
        spec:
          request: {Request(subject)}
          signerName: {signer}
          usages: [client auth]
        {extraSpec}
        """;

    private static string Request(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(request.CreateSigningRequestPem()));
    }
}
