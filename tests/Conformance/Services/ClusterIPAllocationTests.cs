using System.Net;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.Services;

/// <summary>
/// Service cluster IPs allocated by the server as kube-apiserver 1.35 does (an IPAddress object per
/// address, the default ServiceCIDR, the `kubernetes` Service), through kubectl, the official Python
/// client and plain HTTP. The shared cluster runs with --service-cluster-ip-range=10.96.0.0/12; the
/// addresses tests ask for are in the lower band (10.96.0.2-10.96.1.0), which picked addresses avoid.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterIPAllocationTests(ClusterFixture cluster)
{
    private const string Python = "/usr/bin/python3";

    private static bool InServiceRange(string ip)
    {
        var bytes = IPAddress.Parse(ip).GetAddressBytes();
        return bytes[0] == 10 && (bytes[1] & 0xF0) == 96;
    }

    [Fact]
    public async Task KubectlCreateServiceAndExpose_GetAClusterIPBackedByAnIPAddress()
    {
        var ns = await cluster.CreateNamespaceAsync("cip");
        await cluster.KubectlOkAsync("create", "service", "clusterip", "web", "--tcp=80", "-n", ns);
        var web = JsonNode.Parse(await cluster.KubectlOkAsync("get", "svc", "web", "-n", ns, "-o", "json"))!;
        var ip = web["spec"]!["clusterIP"]!.GetValue<string>();
        Assert.True(InServiceRange(ip), ip);
        Assert.Equal([ip], web["spec"]!["clusterIPs"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["IPv4"], web["spec"]!["ipFamilies"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("SingleStack", web["spec"]!["ipFamilyPolicy"]!.GetValue<string>());
        // Random picks come from the upper band: above the 256 addresses kept for requested ones.
        Assert.True(IPAddress.Parse(ip).GetAddressBytes() is var b && (b[2] > 1 || b[1] > 96 || (b[2] == 1 && b[3] > 0)), ip);

        var table = await cluster.KubectlOkAsync("get", "svc", "web", "-n", ns);
        Assert.Contains("CLUSTER-IP", table);
        Assert.Contains(ip, table);

        var address = JsonNode.Parse(await cluster.KubectlOkAsync("get", "ipaddresses", ip, "-o", "json"))!;
        Assert.Equal("ipallocator.k8s.io", address["metadata"]!["labels"]!["ipaddress.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal("IPv4", address["metadata"]!["labels"]!["ipaddress.kubernetes.io/ip-family"]!.GetValue<string>());
        var parent = address["spec"]!["parentRef"]!;
        Assert.Equal("services", parent["resource"]!.GetValue<string>());
        Assert.Equal(ns, parent["namespace"]!.GetValue<string>());
        Assert.Equal("web", parent["name"]!.GetValue<string>());
        Assert.Contains(ip, await cluster.KubectlOkAsync("get", "ipaddresses"));

        await cluster.KubectlOkAsync("create", "deployment", "app", "--image=registry.k8s.io/pause:3.10", "-n", ns);
        await cluster.KubectlOkAsync("expose", "deployment", "app", "--port=8080", "-n", ns);
        var exposed = JsonNode.Parse(await cluster.KubectlOkAsync("get", "svc", "app", "-n", ns, "-o", "json"))!;
        var exposedIP = exposed["spec"]!["clusterIP"]!.GetValue<string>();
        Assert.True(InServiceRange(exposedIP), exposedIP);
        Assert.NotEqual(ip, exposedIP);

        // Deleting the Service gives its address back.
        await cluster.KubectlOkAsync("delete", "svc", "web", "-n", ns);
        var gone = await cluster.KubectlAsync("get", "ipaddresses", ip);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("NotFound", gone.StdErr);
    }

    [Fact]
    public async Task KubernetesService_DefaultServiceCIDR_AndTheirObjects()
    {
        // The controller makes the Service once the server is ready; give it a few rounds.
        JsonNode? service = null;
        for (var attempt = 0; attempt < 60 && service is null; attempt++)
        {
            var result = await cluster.KubectlAsync("get", "svc", "kubernetes", "-n", "default", "-o", "json");
            if (result.ExitCode == 0)
            {
                service = JsonNode.Parse(result.StdOut);
            }
            else
            {
                await Task.Delay(500);
            }
        }

        Assert.NotNull(service);
        Assert.Equal("10.96.0.1", service["spec"]!["clusterIP"]!.GetValue<string>());
        Assert.Equal("kubernetes", service["metadata"]!["labels"]!["provider"]!.GetValue<string>());
        Assert.Equal("apiserver", service["metadata"]!["labels"]!["component"]!.GetValue<string>());
        var port = service["spec"]!["ports"]![0]!;
        Assert.Equal("https", port["name"]!.GetValue<string>());
        Assert.Equal(443, port["port"]!.GetValue<int>());
        Assert.Equal(cluster.Server.Port, port["targetPort"]!.GetValue<int>());
        Assert.Null(service["spec"]!["selector"]);
        Assert.Contains("10.96.0.1", await cluster.KubectlOkAsync("get", "svc", "kubernetes"));

        var address = JsonNode.Parse(await cluster.KubectlOkAsync("get", "ipaddress", "10.96.0.1", "-o", "json"))!;
        Assert.Equal("default", address["spec"]!["parentRef"]!["namespace"]!.GetValue<string>());
        Assert.Equal("kubernetes", address["spec"]!["parentRef"]!["name"]!.GetValue<string>());

        var cidr = JsonNode.Parse(await cluster.KubectlOkAsync("get", "servicecidrs", "kubernetes", "-o", "json"))!;
        Assert.Equal(["10.96.0.0/12"], cidr["spec"]!["cidrs"]!.AsArray().Select(n => n!.GetValue<string>()));
        var ready = cidr["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Ready")!;
        Assert.Equal("True", ready["status"]!.GetValue<string>());
        Assert.Contains("10.96.0.0/12", await cluster.KubectlOkAsync("get", "servicecidrs"));

        var endpoints = JsonNode.Parse(await cluster.KubectlOkAsync("get", "endpoints", "kubernetes", "-n", "default", "-o", "json"))!;
        Assert.Equal("true", endpoints["metadata"]!["labels"]!["endpointslice.kubernetes.io/skip-mirror"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", endpoints["subsets"]![0]!["addresses"]![0]!["ip"]!.GetValue<string>());
        Assert.Equal(cluster.Server.Port, endpoints["subsets"]![0]!["ports"]![0]!["port"]!.GetValue<int>());
        var slice = JsonNode.Parse(await cluster.KubectlOkAsync("get", "endpointslices", "kubernetes", "-n", "default", "-o", "json"))!;
        Assert.Equal("kubernetes", slice["metadata"]!["labels"]!["kubernetes.io/service-name"]!.GetValue<string>());
        Assert.Equal("IPv4", slice["addressType"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", slice["endpoints"]![0]!["addresses"]![0]!.GetValue<string>());
        Assert.Equal("https", slice["ports"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task PythonClient_RequestedTakenOutOfRangeHeadlessExternalNameAndRelease()
    {
        var ns = await cluster.CreateNamespaceAsync("cip-py");
        const string script = """
            import json, sys
            from kubernetes import client, config
            from kubernetes.client.rest import ApiException
            config.load_kube_config(config_file=sys.argv[1])
            ns = sys.argv[2]
            v1 = client.CoreV1Api()
            # Debian's client predates networking.k8s.io/v1 IPAddress: read it as a generic object.
            objects = client.CustomObjectsApi()
            def address_owner(ip):
                return objects.get_cluster_custom_object("networking.k8s.io", "v1", "ipaddresses", ip)["spec"]["parentRef"]["name"]
            def svc(name, cluster_ip=None, selector={"app": "x"}, type=None, external_name=None, ports=True):
                spec = client.V1ServiceSpec(cluster_ip=cluster_ip, selector=selector, type=type, external_name=external_name)
                if ports:
                    spec.ports = [client.V1ServicePort(port=80)]
                return client.V1Service(metadata=client.V1ObjectMeta(name=name), spec=spec)
            def failure(e):
                body = json.loads(e.body)
                return {"status": e.status, "reason": body["reason"], "message": body["message"], "details": body["details"]}
            out = {}
            a = v1.create_namespaced_service(ns, svc("a", "10.96.0.77"))
            out["a"] = {"clusterIP": a.spec.cluster_ip, "clusterIPs": a.spec.cluster_i_ps, "families": a.spec.ip_families, "policy": a.spec.ip_family_policy}
            out["aAddress"] = address_owner("10.96.0.77")
            for name, ip in [("taken", "10.96.0.77"), ("outside", "10.200.0.1"), ("network", "10.96.0.0")]:
                try:
                    v1.create_namespaced_service(ns, svc(name, ip))
                    out[name] = "created"
                except ApiException as e:
                    out[name] = failure(e)
            h = v1.create_namespaced_service(ns, svc("headless", "None"))
            out["headless"] = {"clusterIP": h.spec.cluster_ip, "clusterIPs": h.spec.cluster_i_ps, "families": h.spec.ip_families, "policy": h.spec.ip_family_policy}
            hs = v1.create_namespaced_service(ns, svc("headless-noselector", "None", selector=None))
            out["headlessNoSelector"] = {"families": hs.spec.ip_families, "policy": hs.spec.ip_family_policy}
            x = v1.create_namespaced_service(ns, svc("ext", type="ExternalName", external_name="example.com", ports=False))
            out["external"] = {"clusterIP": x.spec.cluster_ip, "families": x.spec.ip_families}
            v1.delete_namespaced_service("a", ns)
            again = v1.create_namespaced_service(ns, svc("again", "10.96.0.77"))
            out["again"] = again.spec.cluster_ip
            out["againAddress"] = address_owner("10.96.0.77")
            print(json.dumps(out))
            """;
        var scriptPath = Path.Combine(cluster.WorkDirectory, "clusterip.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var result = await ProcessRunner.RunAsync(Python, [scriptPath, cluster.Kubeconfig, ns]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.StdOut)!;

        Assert.Equal("10.96.0.77", output["a"]!["clusterIP"]!.GetValue<string>());
        Assert.Equal(["10.96.0.77"], output["a"]!["clusterIPs"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["IPv4"], output["a"]!["families"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("SingleStack", output["a"]!["policy"]!.GetValue<string>());
        Assert.Equal("a", output["aAddress"]!.GetValue<string>());

        AssertInvalid(output["taken"]!, "taken", "10.96.0.77", "provided IP is already allocated");
        AssertInvalid(output["outside"]!, "outside", "10.200.0.1", "the provided network does not match the current range");
        AssertInvalid(output["network"]!, "network", "10.96.0.0", "provided IP 10.96.0.0 is not in the valid range");

        Assert.Equal("None", output["headless"]!["clusterIP"]!.GetValue<string>());
        Assert.Equal(["None"], output["headless"]!["clusterIPs"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["IPv4"], output["headless"]!["families"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("SingleStack", output["headless"]!["policy"]!.GetValue<string>());
        // kube's special case: headless without a selector asks for both families, even on a single-stack cluster.
        Assert.Equal(["IPv4", "IPv6"], output["headlessNoSelector"]!["families"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("RequireDualStack", output["headlessNoSelector"]!["policy"]!.GetValue<string>());
        Assert.Null(output["external"]!["clusterIP"]);
        Assert.Null(output["external"]!["families"]);

        Assert.Equal("10.96.0.77", output["again"]!.GetValue<string>());
        Assert.Equal("again", output["againAddress"]!.GetValue<string>());
    }

    private static void AssertInvalid(JsonNode failure, string name, string ip, string why)
    {
        Assert.Equal(422, failure["status"]!.GetValue<int>());
        Assert.Equal("Invalid", failure["reason"]!.GetValue<string>());
        var detail = $"Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: {why}";
        Assert.Equal($"Service \"{name}\" is invalid: spec.clusterIPs: {detail}", failure["message"]!.GetValue<string>());
        Assert.Equal(name, failure["details"]!["name"]!.GetValue<string>());
        Assert.Equal("Service", failure["details"]!["kind"]!.GetValue<string>());
        var cause = failure["details"]!["causes"]!.AsArray().Single()!;
        Assert.Equal("FieldValueInvalid", cause["reason"]!.GetValue<string>());
        Assert.Equal("spec.clusterIPs", cause["field"]!.GetValue<string>());
        Assert.Equal(detail, cause["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConcurrentCreates_GetDistinctAddresses_EachHeldByItsService()
    {
        var ns = await cluster.CreateNamespaceAsync("cip-many");
        const int count = 24;
        var creates = Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/services",
                ClusterFixture.Json("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s" + i + "\"},\"spec\":{\"ports\":[{\"port\":80}],\"selector\":{\"app\":\"s\"}}}"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, body);
            return (Name: $"s{i}", IP: JsonNode.Parse(body)!["spec"]!["clusterIP"]!.GetValue<string>());
        });
        var services = await Task.WhenAll(creates);
        Assert.Equal(count, services.Select(s => s.IP).Distinct().Count());
        foreach (var (name, ip) in services)
        {
            var address = await cluster.GetJsonAsync($"/apis/networking.k8s.io/v1/ipaddresses/{ip}");
            Assert.Equal(name, address["spec"]!["parentRef"]!["name"]!.GetValue<string>());
            Assert.Equal(ns, address["spec"]!["parentRef"]!["namespace"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task FailedAndDryRunCreates_LeaveNoAddress_TypeChangesAllocateAndRelease()
    {
        var ns = await cluster.CreateNamespaceAsync("cip-txn");

        // Allocation happens before validation; the invalid port fails the create, and the address goes back.
        using (var invalid = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/services",
            ClusterFixture.Json("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"clusterIP":"10.96.0.91","ports":[{"port":0}]}}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
            Assert.Contains("spec.ports[0].port", await invalid.Content.ReadAsStringAsync());
        }

        await AssertNoAddressAsync("10.96.0.91");

        using (var dryRun = await cluster.Http.PostAsync($"/api/v1/namespaces/{ns}/services?dryRun=All",
            ClusterFixture.Json("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"dry"},"spec":{"clusterIP":"10.96.0.92","ports":[{"port":80}]}}""")))
        {
            var body = await dryRun.Content.ReadAsStringAsync();
            Assert.True(dryRun.StatusCode == HttpStatusCode.Created, body);
            Assert.Equal("10.96.0.92", JsonNode.Parse(body)!["spec"]!["clusterIP"]!.GetValue<string>());
        }

        await AssertNoAddressAsync("10.96.0.92");

        // ClusterIP -> ExternalName (only the type changes) frees the address; back again allocates one.
        await cluster.KubectlOkAsync("create", "service", "clusterip", "flip", "--tcp=80", "-n", ns);
        var before = JsonNode.Parse(await cluster.KubectlOkAsync("get", "svc", "flip", "-n", ns, "-o", "json"))!["spec"]!["clusterIP"]!.GetValue<string>();
        await cluster.KubectlOkAsync("patch", "svc", "flip", "-n", ns, "--type=merge", "-p", """{"spec":{"type":"ExternalName","externalName":"example.com"}}""");
        var external = JsonNode.Parse(await cluster.KubectlOkAsync("get", "svc", "flip", "-n", ns, "-o", "json"))!;
        Assert.Null(external["spec"]!["clusterIP"]);
        Assert.Null(external["spec"]!["clusterIPs"]);
        await AssertNoAddressAsync(before);

        await cluster.KubectlOkAsync("patch", "svc", "flip", "-n", ns, "--type=merge", "-p", """{"spec":{"type":"ClusterIP","externalName":null}}""");
        var back = JsonNode.Parse(await cluster.KubectlOkAsync("get", "svc", "flip", "-n", ns, "-o", "json"))!["spec"]!["clusterIP"]!.GetValue<string>();
        Assert.True(InServiceRange(back), back);
        var address = await cluster.GetJsonAsync($"/apis/networking.k8s.io/v1/ipaddresses/{back}");
        Assert.Equal("flip", address["spec"]!["parentRef"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Repair_RecreatesAServicesMissingAddress_AndFreesAnAddressNoServiceHolds()
    {
        var ns = await cluster.CreateNamespaceAsync("cip-repair");
        await cluster.KubectlOkAsync("create", "service", "clusterip", "kept", "--tcp=80", "-n", ns);
        var ip = JsonNode.Parse(await cluster.KubectlOkAsync("get", "svc", "kept", "-n", ns, "-o", "json"))!["spec"]!["clusterIP"]!.GetValue<string>();
        await cluster.KubectlOkAsync("delete", "ipaddress", ip);

        // What a server that stopped between taking an address and storing its Service leaves behind.
        await cluster.KubectlWithInputAsync($$"""
            apiVersion: networking.k8s.io/v1
            kind: IPAddress
            metadata:
              name: 10.96.0.93
              labels:
                ipaddress.kubernetes.io/managed-by: ipallocator.k8s.io
                ipaddress.kubernetes.io/ip-family: IPv4
            spec:
              parentRef:
                group: ""
                resource: services
                namespace: {{ns}}
                name: never-stored
            """, "create", "-f", "-");
        await cluster.GetJsonAsync("/apis/networking.k8s.io/v1/ipaddresses/10.96.0.93");

        var restored = false;
        var freed = false;
        for (var attempt = 0; attempt < 180 && !(restored && freed); attempt++)
        {
            await Task.Delay(500);
            using var kept = await cluster.Http.GetAsync($"/apis/networking.k8s.io/v1/ipaddresses/{ip}");
            restored = kept.StatusCode == HttpStatusCode.OK;
            using var orphan = await cluster.Http.GetAsync("/apis/networking.k8s.io/v1/ipaddresses/10.96.0.93");
            freed = orphan.StatusCode == HttpStatusCode.NotFound;
        }

        Assert.True(restored, $"{ip}'s IPAddress was not recreated");
        Assert.True(freed, "the unheld 10.96.0.93 was not freed");
        var address = await cluster.GetJsonAsync($"/apis/networking.k8s.io/v1/ipaddresses/{ip}");
        Assert.Equal("kept", address["spec"]!["parentRef"]!["name"]!.GetValue<string>());
    }

    private async Task AssertNoAddressAsync(string ip)
    {
        using var response = await cluster.Http.GetAsync($"/apis/networking.k8s.io/v1/ipaddresses/{ip}");
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{ip}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
