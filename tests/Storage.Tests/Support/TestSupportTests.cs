using System.Net;
using System.Security.Cryptography.X509Certificates;
using TestSupport;

namespace Storage.Tests.Support;

public sealed class TestPkiTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"pki-test-{Guid.NewGuid():N}");

    [Fact]
    public void IssueServerCertificate_HasLoopbackNamesBothUsagesAndChainsToCa()
    {
        using var pki = TestPki.Create(_directory);

        using var server = pki.IssueServerCertificate("server", ["etcd.local"]).Load();

        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.Contains("etcd.local", san.EnumerateDnsNames());
        Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());
        var usages = server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages);
        Assert.True(server.HasPrivateKey);
        Assert.True(Chains(pki, server));
    }

    [Fact]
    public void IssueClientCertificate_CarriesCommonNameAndOrganizations()
    {
        using var pki = TestPki.Create(_directory);

        using var client = pki.IssueClientCertificate("admin", "kubernetes-admin", "system:masters", "team").Load();

        Assert.Equal("kubernetes-admin", client.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains("O=system:masters", client.Subject);
        Assert.Contains("O=team", client.Subject);
        var usages = client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value);
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], usages);
        Assert.True(Chains(pki, client));
    }

    [Fact]
    public void CaFile_IsACertificateWithoutKey()
    {
        using var pki = TestPki.Create(_directory);

        var pem = File.ReadAllText(pki.CaCertificatePath);

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
        Assert.DoesNotContain("PRIVATE KEY", pem);
        Assert.True(pki.CaCertificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static bool Chains(TestPki pki, X509Certificate2 leaf)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(pki.CaCertificate);
        return chain.Build(leaf);
    }
}

[Collection(EtcdTlsFixture.Collection)]
public sealed class EtcdProcessTests(EtcdTlsFixture fixture)
{
    [Fact]
    public void Etcdctl_PutThenGet_RoundTripsOverMutualTls()
    {
        var key = $"/etcdctl-{Guid.NewGuid():N}";

        fixture.Etcd.Etcdctl("put", key, "value");
        var output = fixture.Etcd.Etcdctl("get", key, "--print-value-only");

        Assert.Equal("value", output.Trim());
    }

    [Fact]
    public void Etcdctl_BadCommand_ThrowsWithStderr()
    {
        var error = Assert.Throws<InvalidOperationException>(() => fixture.Etcd.Etcdctl("no-such-command"));

        Assert.Contains("no-such-command", error.Message);
    }

    [Fact]
    public async Task StartAsync_TlsWithClientCertAuth_ServesHttpsAndLogsToFile()
    {
        var health = await fixture.Client.CheckHealthAsync(TimeSpan.FromSeconds(2));

        Assert.True(health.Healthy, health.Error);
        Assert.StartsWith("https://127.0.0.1:", fixture.Etcd.Endpoint);
        Assert.True(File.Exists(fixture.Etcd.LogPath));
        Assert.Contains("ready to serve client requests", fixture.Etcd.ReadLog());
    }

    [Fact]
    public async Task DisposeAsync_KillsEtcdAndDeletesItsDirectory()
    {
        var etcd = await EtcdProcess.StartAsync();
        Assert.True(etcd.IsRunning);

        await etcd.DisposeAsync();

        Assert.False(etcd.IsRunning);
        Assert.False(Directory.Exists(etcd.WorkDirectory));
    }
}
