using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.CustomResources;

/// <summary>
/// Webhooks around custom resources, served by the tests over TLS (tests/Conformance/webhook): a
/// conversion webhook between two versions of a CRD (objects read back in the version asked for,
/// stored in the storage version, failures as kube reports them), and a validating admission webhook.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CustomResourceWebhookTests(ClusterFixture cluster)
{
    private string Crd(string group, string url) => $$"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.{{group}}
        spec:
          group: {{group}}
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget}
          conversion:
            strategy: Webhook
            webhook:
              conversionReviewVersions: [v1]
              clientConfig:
                url: {{url}}
                caBundle: {{Convert.ToBase64String(File.ReadAllBytes(cluster.Pki.CaCertificatePath))}}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      color: {type: string}
          - name: v2
            served: true
            storage: false
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      paint: {type: string}
        """;

    [Fact]
    public async Task ConversionWebhook_ServesEveryVersion_AndStoresTheStorageVersion()
    {
        await using var webhook = await WebhookServer.StartAsync(cluster);
        var group = $"conv{Guid.NewGuid().ToString("N")[..6]}.example.com";
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, Crd(group, webhook.Url("/convert")), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("conv");

        // Written in v1, read in v2: the webhook renamed the field.
        await cluster.KubectlWithInputAsync($"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: old}}\nspec: {{color: red}}\n", "apply", "-n", ns, "-f", "-");
        var asV2 = await cluster.GetJsonAsync($"/apis/{group}/v2/namespaces/{ns}/widgets/old");
        Assert.Equal($"{group}/v2", asV2["apiVersion"]!.GetValue<string>());
        Assert.Equal("red", asV2["spec"]!["paint"]!.GetValue<string>());
        Assert.Null(asV2["spec"]!["color"]);

        // Written in v2: stored in v1 (the storage version), answered in v2.
        var created = await cluster.KubectlWithInputAsync($"apiVersion: {group}/v2\nkind: Widget\nmetadata: {{name: new}}\nspec: {{paint: blue}}\n", "create", "-n", ns, "-f", "-", "-o", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("blue", JsonNode.Parse(created.StdOut)!["spec"]!["paint"]!.GetValue<string>());
        var stored = JsonNode.Parse(cluster.Etcdctl("get", $"{ClusterFixture.EtcdPrefix}/{group}/widgets/{ns}/new", "--print-value-only"))!;
        Assert.Equal($"{group}/v1", stored["apiVersion"]!.GetValue<string>());
        Assert.Equal("blue", stored["spec"]!["color"]!.GetValue<string>());

        // A list in v2 converts every item; the webhook got ConversionReview v1 requests.
        var list = await cluster.GetJsonAsync($"/apis/{group}/v2/namespaces/{ns}/widgets");
        Assert.Equal(["blue", "red"], list["items"]!.AsArray().Select(i => i!["spec"]!["paint"]!.GetValue<string>()).Order());
        Assert.Contains(webhook.Reviews(), r => r["path"]!.GetValue<string>().StartsWith("/convert", StringComparison.Ordinal)
            && r["request"]!["desiredAPIVersion"]!.GetValue<string>() == $"{group}/v2");

        // A webhook that refuses makes reads in the other version fail as kube-apiserver reports it.
        var failing = Crd(group, webhook.Url("/convert-fail"));
        Assert.Equal(0, (await cluster.KubectlWithInputAsync(failing, "apply", "-f", "-")).ExitCode);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var get = await cluster.KubectlAsync("get", $"widgets.v2.{group}", "old", "-n", ns);
            if (get.ExitCode != 0)
            {
                Assert.Contains($"Error from server: conversion webhook for {group}/v1, Kind=Widget failed: the test webhook refuses to convert", get.StdErr);
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the failing webhook was never called");
            await Task.Delay(200);
        }

        using var response = await cluster.Http.GetAsync($"/apis/{group}/v2/namespaces/{ns}/widgets/old");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        // The storage version needs no conversion.
        Assert.Equal("red", (await cluster.GetJsonAsync($"/apis/{group}/v1/namespaces/{ns}/widgets/old"))["spec"]!["color"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConversionWebhook_ByServiceReference_IsCalledAtTheServicesEndpoint_WithTheServiceNameInTls()
    {
        // The webhook runs on loopback behind a selectorless Service whose Endpoints name it; its
        // certificate is for the service's DNS name alone, which TLS checks although the address is an IP.
        var ns = await cluster.CreateNamespaceAsync("convsvc");
        await using var webhook = await WebhookServer.StartAsync(cluster, $"converter.{ns}.svc");
        var service = $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: converter, namespace: {{ns}}}
            spec:
              ports: [{name: https, port: 8443, targetPort: {{webhook.Port}}}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: converter, namespace: {{ns}}}
            subsets:
            - addresses: [{ip: 127.0.0.1}]
              ports: [{name: https, port: {{webhook.Port}}}]
            """;
        var created = await cluster.KubectlWithInputAsync(service, "create", "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());

        var group = $"convs{Guid.NewGuid().ToString("N")[..6]}.example.com";
        var crd = Crd(group, "unused").Replace("url: unused", $"service: {{namespace: {ns}, name: converter, path: /convert, port: 8443}}", StringComparison.Ordinal);
        Assert.Contains("name: converter", crd);
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, crd, "widgets." + group);

        var written = await cluster.KubectlWithInputAsync($"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {{color: green}}\n", "create", "-n", ns, "-f", "-");
        Assert.True(written.ExitCode == 0, written.ToString());
        var asV2 = await cluster.GetJsonAsync($"/apis/{group}/v2/namespaces/{ns}/widgets/w");
        Assert.Equal("green", asV2["spec"]!["paint"]!.GetValue<string>());
        Assert.Contains(webhook.Reviews(), r => r["path"]!.GetValue<string>().StartsWith("/convert?timeout=", StringComparison.Ordinal)
            && r["request"]!["desiredAPIVersion"]!.GetValue<string>() == $"{group}/v2");

        // A service without endpoints (or a cluster IP) cannot be reached: a 500 naming the conversion webhook.
        var unreachable = await cluster.KubectlWithInputAsync(crd.Replace("name: converter", "name: nowhere", StringComparison.Ordinal), "apply", "-f", "-");
        Assert.True(unreachable.ExitCode == 0, unreachable.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await cluster.Http.GetAsync($"/apis/{group}/v2/namespaces/{ns}/widgets/w");
            if (response.StatusCode == HttpStatusCode.InternalServerError)
            {
                var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.StartsWith($"conversion webhook for {group}/v1, Kind=Widget failed: ", status["message"]!.GetValue<string>(), StringComparison.Ordinal);
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the conversion kept working through a service without endpoints");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task ValidatingWebhook_IsCalledForCustomResources()
    {
        await using var webhook = await WebhookServer.StartAsync(cluster);
        var group = $"vwh{Guid.NewGuid().ToString("N")[..6]}.example.com";
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, CustomResourceDefinitionTests.WidgetCrd(group), "widgets." + group);
        var ns = await cluster.CreateNamespaceAsync("crwebhook");
        var name = "deny-widgets-" + group[..9];
        var caBundle = Convert.ToBase64String(File.ReadAllBytes(cluster.Pki.CaCertificatePath));
        var configuration = $$"""
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingWebhookConfiguration
            metadata:
              name: {{name}}
            webhooks:
            - name: deny.widgets.example.com
              clientConfig:
                url: {{webhook.Url("/validate")}}
                caBundle: {{caBundle}}
              rules:
              - apiGroups: ["{{group}}"]
                apiVersions: ["*"]
                operations: ["CREATE", "UPDATE"]
                resources: ["widgets"]
              sideEffects: None
              admissionReviewVersions: ["v1"]
            """;
        Assert.Equal(0, (await cluster.KubectlWithInputAsync(configuration, "create", "-f", "-")).ExitCode);
        try
        {
            var denied = CustomResourceDefinitionTests.Widget(group, "bad").Replace("  name: bad", "  name: bad\n  labels: {deny: \"true\"}");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            ProcessResult result;
            while ((result = await cluster.KubectlWithInputAsync(denied, "create", "-n", ns, "-f", "-", "--dry-run=server")).ExitCode == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the webhook never denied");
                await Task.Delay(200);
            }

            Assert.Contains("admission webhook \"deny.widgets.example.com\" denied the request", result.StdErr);
            var allowed = await cluster.KubectlWithInputAsync(CustomResourceDefinitionTests.Widget(group, "good"), "create", "-n", ns, "-f", "-");
            Assert.True(allowed.ExitCode == 0, allowed.ToString());
            Assert.Contains("Warning: checked by the test webhook", allowed.StdErr);
            var review = webhook.Reviews().Last(r => r["request"]!["name"]?.GetValue<string>() == "good");
            Assert.Equal("widgets", review["request"]!["resource"]!["resource"]!.GetValue<string>());
            Assert.Equal("Widget", review["request"]!["kind"]!["kind"]!.GetValue<string>());
            Assert.Equal("red", review["request"]!["object"]!["spec"]!["color"]!.GetValue<string>());
        }
        finally
        {
            await cluster.KubectlAsync("delete", "validatingwebhookconfiguration", name);
        }
    }
}
