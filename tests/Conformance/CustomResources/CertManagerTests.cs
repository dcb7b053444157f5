using System.Text.Json.Nodes;
using Conformance.Infrastructure;

namespace Conformance.CustomResources;

/// <summary>
/// A CRD shaped like a popular operator's: cert-manager's Certificate (group cert-manager.io, v1, its
/// printer columns with JSONPath filters, a status subresource, a described schema with required
/// fields, enums and lists). The fixture is written here from the facts of that CRD, with its own
/// descriptions; a newcomer pasting the real one meets the same features.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CertManagerTests(ClusterFixture cluster)
{
    private const string Crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: certificates.cert-manager.io
          labels:
            app.kubernetes.io/name: cert-manager
        spec:
          group: cert-manager.io
          names:
            kind: Certificate
            listKind: CertificateList
            plural: certificates
            shortNames: [cert, certs]
            singular: certificate
            categories: [cert-manager]
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            additionalPrinterColumns:
            - jsonPath: .status.conditions[?(@.type=="Ready")].status
              name: Ready
              type: string
            - jsonPath: .spec.secretName
              name: Secret
              type: string
            - jsonPath: .spec.issuerRef.name
              name: Issuer
              priority: 1
              type: string
            - jsonPath: .status.conditions[?(@.type=="Ready")].message
              name: Status
              priority: 1
              type: string
            - jsonPath: .metadata.creationTimestamp
              description: When the certificate was first requested.
              name: Age
              type: date
            schema:
              openAPIV3Schema:
                description: Asks for a signed X.509 certificate, kept in a Secret and renewed before it expires.
                type: object
                properties:
                  apiVersion:
                    type: string
                  kind:
                    type: string
                  metadata:
                    type: object
                  spec:
                    description: The certificate wanted.
                    type: object
                    required: [issuerRef, secretName]
                    properties:
                      commonName:
                        description: The subject's common name.
                        type: string
                      dnsNames:
                        description: DNS subject alternative names.
                        type: array
                        items:
                          type: string
                      duration:
                        description: How long the certificate is valid, e.g. 2160h.
                        type: string
                      renewBefore:
                        description: How long before expiry it is renewed.
                        type: string
                      isCA:
                        type: boolean
                      secretName:
                        description: The Secret the signed certificate and its key are stored in.
                        type: string
                      issuerRef:
                        description: The issuer that signs it.
                        type: object
                        required: [name]
                        properties:
                          group:
                            type: string
                          kind:
                            type: string
                          name:
                            description: The issuer's name.
                            type: string
                      privateKey:
                        type: object
                        properties:
                          algorithm:
                            type: string
                            enum: [RSA, ECDSA, Ed25519]
                          rotationPolicy:
                            type: string
                            enum: [Never, Always]
                          size:
                            type: integer
                      usages:
                        type: array
                        items:
                          type: string
                          enum: [signing, digital signature, key encipherment, server auth, client auth]
                  status:
                    type: object
                    properties:
                      conditions:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [type]
                        items:
                          type: object
                          required: [status, type]
                          properties:
                            lastTransitionTime:
                              type: string
                              format: date-time
                            message:
                              type: string
                            observedGeneration:
                              type: integer
                              format: int64
                            reason:
                              type: string
                            status:
                              type: string
                              enum: ["True", "False", Unknown]
                            type:
                              type: string
                      notAfter:
                        type: string
                        format: date-time
                      revision:
                        type: integer
        """;

    private static string Certificate(string name) => $"""
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata:
          name: {name}
        spec:
          secretName: {name}-tls
          commonName: {name}.example.com
          dnsNames: [{name}.example.com, www.{name}.example.com]
          duration: 2160h
          issuerRef:
            name: letsencrypt
            kind: ClusterIssuer
          privateKey:
            algorithm: ECDSA
            size: 256
          usages: [server auth, digital signature]
        """;

    [Fact]
    public async Task CertManagersCertificate_WorksEndToEnd_WithKubectl()
    {
        await CustomResourceDefinitionTests.ApplyCrdAsync(cluster, Crd, "certificates.cert-manager.io");
        var ns = await cluster.CreateNamespaceAsync("certs");

        var created = await cluster.KubectlWithInputAsync(Certificate("web"), "apply", "-n", ns, "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("certificate.cert-manager.io/web created", created.StdOut);

        // What a cert-manager controller does: report readiness through the status subresource.
        var ready = """{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"Certificate is up to date and has not expired","lastTransitionTime":"2026-01-01T00:00:00Z"}],"revision":1}}""";
        await cluster.KubectlOkAsync("patch", "certificates.cert-manager.io", "web", "-n", ns, "--subresource=status", "--type=merge", "-p", ready);

        var table = await cluster.KubectlOkAsync("get", "certs", "-n", ns);
        Assert.Matches(@"NAME\s+READY\s+SECRET\s+AGE", table);
        Assert.Matches(@"web\s+True\s+web-tls\s+\d+s", table);
        var wide = await cluster.KubectlOkAsync("get", "certificates", "-n", ns, "-o", "wide");
        Assert.Matches(@"NAME\s+READY\s+SECRET\s+ISSUER\s+STATUS\s+AGE", wide);
        Assert.Matches(@"web\s+True\s+web-tls\s+letsencrypt\s+Certificate is up to date and has not expired\s+\d+s", wide);
        // The CRD's category names it, as "all" names the built-in workloads.
        Assert.Matches(@"web\s+True\s+web-tls", await cluster.KubectlOkAsync("get", "cert-manager", "-n", ns));

        var explained = await cluster.KubectlOkAsync("explain", "certificate.spec.issuerRef");
        Assert.Contains("The issuer that signs it.", explained);
        Assert.Contains("name\t<string> -required-", explained);

        // Server-side apply by a second manager, then the first one's kubectl edit-like merge patch.
        var applied = await cluster.KubectlWithInputAsync(Certificate("web").Replace("duration: 2160h", "duration: 720h"), "apply", "--server-side", "--force-conflicts", "--field-manager=gitops", "-n", ns, "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        var cert = JsonNode.Parse(await cluster.KubectlOkAsync("get", "certificate", "web", "-n", ns, "-o", "json"))!;
        Assert.Equal("720h", cert["spec"]!["duration"]!.GetValue<string>());
        Assert.Equal("True", cert["status"]!["conditions"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(2, cert["metadata"]!["generation"]!.GetValue<long>());

        await cluster.KubectlOkAsync("delete", "certificate", "web", "-n", ns);
        Assert.Contains("No resources found", (await cluster.KubectlAsync("get", "certificates", "-n", ns)).StdErr);
    }
}
