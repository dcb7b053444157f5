using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Conformance.Infrastructure;
using TestSupport;

namespace Conformance.Auth;

/// <summary>
/// x509 client certificates as kube-apiserver reads them (k8s.io/apiserver request/x509 and the
/// authenticator union), through kubectl and curl: CN is the user, every O a group in the certificate's
/// order; a certificate that does not verify (expired, not for client auth, self-signed) is 401 with a
/// Status unless another credential authenticates the request; one without a common name is nobody's,
/// so the request is anonymous.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientCertificateTests(ClusterFixture cluster)
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private string NewDirectory()
    {
        var directory = Path.Combine(cluster.WorkDirectory, "certs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A key and certificate made with the openssl command line and signed by the cluster CA, as an admin would.</summary>
    private async Task<PemCertificate> OpensslClientCertificateAsync(string subject)
    {
        var directory = NewDirectory();
        var key = Path.Combine(directory, "user.key");
        var csr = Path.Combine(directory, "user.csr");
        var crt = Path.Combine(directory, "user.crt");
        var ext = Path.Combine(directory, "user.ext");
        await File.WriteAllTextAsync(ext, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n");
        await RunOkAsync("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", subject);
        await RunOkAsync("openssl", "x509", "-req", "-in", csr, "-CA", cluster.Pki.CaCertificatePath, "-CAkey", cluster.Pki.Ca.KeyPath,
            "-CAcreateserial", "-out", crt, "-days", "1", "-extfile", ext);
        return new PemCertificate(crt, key);
    }

    private static async Task RunOkAsync(string program, params string[] args)
    {
        var result = await ProcessRunner.RunAsync(program, args);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', args)}: {result}");
    }

    /// <summary>A certificate signed by the cluster CA with the given validity, usages and subject.</summary>
    /// <remarks>The cluster CA dates from an hour before the fixture started: an expired certificate fits in between.</remarks>
    private PemCertificate IssueWithCa(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] usages)
    {
        using var ca = cluster.Pki.Ca.Load();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var certificate = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        return Write(certificate, key);
    }

    private PemCertificate Write(X509Certificate2 certificate, ECDsa key)
    {
        var directory = NewDirectory();
        var crt = Path.Combine(directory, "user.crt");
        var keyPath = Path.Combine(directory, "user.key");
        File.WriteAllText(crt, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new PemCertificate(crt, keyPath);
    }

    private async Task<string> KubeconfigAsync(PemCertificate certificate)
    {
        var path = Path.Combine(NewDirectory(), "kubeconfig");
        await File.WriteAllTextAsync(path, cluster.KubeconfigFor(certificate));
        return path;
    }

    private async Task<(int Code, JsonNode? Body)> CurlAsync(PemCertificate? certificate, string path, params string[] extra)
    {
        var result = await cluster.CurlAsync(certificate, [$"{cluster.ServerUrl}{path}", "-w", "\n%{http_code}", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.StdOut.TrimEnd().Split('\n');
        var body = string.Join('\n', lines[..^1]);
        return (int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture), body.StartsWith('{') ? JsonNode.Parse(body) : null);
    }

    private static void AssertUnauthorizedStatus((int Code, JsonNode? Body) answer)
    {
        Assert.Equal(401, answer.Code);
        Assert.Equal("Status", answer.Body?["kind"]?.GetValue<string>());
        Assert.Equal("Unauthorized", answer.Body?["reason"]?.GetValue<string>());
        Assert.Equal(401, answer.Body?["code"]?.GetValue<int>());
    }

    [Fact]
    public async Task Organizations_AreGroupsInTheCertificatesOrder()
    {
        // openssl writes the subject as given: O=zeta first, then O=alpha; kube keeps that order.
        var certificate = await OpensslClientCertificateAsync("/O=zeta/O=alpha/O=system:authenticated/O=mid/CN=ordered-user");
        var whoami = await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", await KubeconfigAsync(certificate), "auth", "whoami", "-o", "json"]);
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        var user = JsonNode.Parse(whoami.StdOut)!["status"]!["userInfo"]!;
        Assert.Equal("ordered-user", user["username"]!.GetValue<string>());
        // system:authenticated stays where the certificate put it and is not added twice.
        Assert.Equal(["zeta", "alpha", "system:authenticated", "mid"], user["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
    }

    [Fact]
    public async Task ExpiredCertificate_Answers401Status()
    {
        var now = DateTimeOffset.UtcNow;
        var expired = IssueWithCa("CN=expired-user, O=system:masters", now.AddMinutes(-50), now.AddMinutes(-1), ClientAuthOid);
        AssertUnauthorizedStatus(await CurlAsync(expired, "/api/v1/namespaces"));

        var notYet = IssueWithCa("CN=future-user, O=system:masters", now.AddDays(1), now.AddDays(2), ClientAuthOid);
        AssertUnauthorizedStatus(await CurlAsync(notYet, "/api/v1/namespaces"));
    }

    [Fact]
    public async Task CertificateRefusedBeforeItsNotBefore_IsAcceptedOnceValid()
    {
        // kube-apiserver keeps no verdicts: a certificate refused because the client's clock ran a little
        // ahead of the server's is accepted as soon as it is valid. The Certificate package's validation
        // cache would keep the refusal for as long as the client retries; ours keeps verified ones only.
        var margin = TimeSpan.FromSeconds(5);
        PemCertificate? early = null;
        DateTimeOffset notBefore = default;
        for (var attempt = 0; attempt < 4 && early is null; attempt++, margin *= 2)
        {
            // x509 times have whole seconds: round up so the refusal below is certain to be a notBefore one.
            var now = DateTimeOffset.UtcNow;
            notBefore = DateTimeOffset.FromUnixTimeSeconds(now.Add(margin).ToUnixTimeSeconds() + 1);
            var candidate = IssueWithCa("CN=early-user, O=system:masters", notBefore, notBefore.AddDays(1), ClientAuthOid);
            var refused = await CurlAsync(candidate, "/api/v1/namespaces");
            // On a loaded machine curl may answer after notBefore: then the refusal proves nothing; try a wider margin.
            if (DateTimeOffset.UtcNow < notBefore)
            {
                AssertUnauthorizedStatus(refused);
                early = candidate;
            }
        }

        Assert.NotNull(early);
        var wait = notBefore - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var answer = await CurlAsync(early, "/api/v1/namespaces");
        Assert.Equal(200, answer.Code);
        Assert.Equal("NamespaceList", answer.Body?["kind"]?.GetValue<string>());
    }

    [Fact]
    public async Task CertificateNotForClientAuthentication_Answers401Status()
    {
        var now = DateTimeOffset.UtcNow;
        var serverOnly = IssueWithCa("CN=server-only, O=system:masters", now.AddHours(-1), now.AddDays(1), ServerAuthOid);
        AssertUnauthorizedStatus(await CurlAsync(serverOnly, "/api/v1/namespaces"));
    }

    [Fact]
    public async Task SelfSignedCertificate_Answers401Status()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubernetes-admin, O=system:masters", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        AssertUnauthorizedStatus(await CurlAsync(Write(selfSigned, key), "/api/v1/namespaces"));
    }

    [Fact]
    public async Task CertificateThatDoesNotVerify_WithAGoodBearerToken_IsTheTokensUser()
    {
        // kube's union tries every authenticator and takes the first that succeeds.
        var now = DateTimeOffset.UtcNow;
        var expired = IssueWithCa("CN=expired-user, O=system:masters", now.AddMinutes(-50), now.AddMinutes(-1), ClientAuthOid);
        var review = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";
        var answer = await CurlAsync(expired, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            "-X", "POST", "-H", "Content-Type: application/json", "-H", $"Authorization: Bearer {ClusterFixture.StaticToken}", "-d", review);
        Assert.Equal(201, answer.Code);
        Assert.Equal("tina", answer.Body!["status"]!["userInfo"]!["username"]!.GetValue<string>());

        // A good certificate with a bad token is the certificate's user: the certificate is asked first.
        answer = await CurlAsync(cluster.Admin, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            "-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer nobody-issued-this", "-d", review);
        Assert.Equal(201, answer.Code);
        Assert.Equal("kubernetes-admin", answer.Body!["status"]!["userInfo"]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task CertificateWithoutCommonName_IsAnonymous()
    {
        var now = DateTimeOffset.UtcNow;
        var nameless = IssueWithCa("O=system:masters", now.AddHours(-1), now.AddDays(1), ClientAuthOid);
        var answer = await CurlAsync(nameless, "/api/v1/namespaces");
        Assert.Equal(403, answer.Code);
        Assert.Equal("namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            answer.Body!["message"]!.GetValue<string>());
    }
}
