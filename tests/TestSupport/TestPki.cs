using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TestSupport;

/// <summary>A certificate and its private key, as PEM files on disk.</summary>
public sealed record PemCertificate(string CertificatePath, string KeyPath)
{
    /// <summary>The certificate with its private key, e.g. for an HttpClient or Kestrel.</summary>
    public X509Certificate2 Load() => X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
}

/// <summary>
/// A throwaway certificate authority for tests, made with System.Security.Cryptography only.
/// Keys are ECDSA P-256 in PKCS#8 PEM, which Go (etcd, kubectl) and .NET both read.
/// </summary>
public sealed class TestPki : IDisposable
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    // The CA outlives what it issues: a leaf whose notAfter passes its issuer's is refused by
    // CertificateRequest.Create, and a leaf issued a second after the CA would otherwise do so.
    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    private static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    private readonly X509Certificate2 _ca;

    private TestPki(string directory, X509Certificate2 ca, PemCertificate caFiles)
    {
        Directory = directory;
        _ca = ca;
        Ca = caFiles;
    }

    public string Directory { get; }

    /// <summary>The CA's certificate and key files (the certificate is the trust bundle to hand out).</summary>
    public PemCertificate Ca { get; }

    public string CaCertificatePath => Ca.CertificatePath;

    /// <summary>The CA certificate without its key, for trust stores.</summary>
    public X509Certificate2 CaCertificate => X509CertificateLoader.LoadCertificate(_ca.RawData);

    /// <summary>Creates a CA in <paramref name="directory"/> (created if missing) as ca.crt / ca.key.</summary>
    public static TestPki Create(string directory, string caCommonName = "test-ca")
    {
        System.IO.Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={caCommonName}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        var ca = request.CreateSelfSigned(now.AddHours(-1), now.Add(CaValidity));
        var files = Write(directory, "ca", ca, key);
        return new TestPki(directory, ca, files);
    }

    /// <summary>
    /// A serving certificate for 127.0.0.1 and localhost (plus <paramref name="dnsNames"/> and
    /// <paramref name="ipAddresses"/>; without the loopback names when <paramref name="loopback"/> is false),
    /// usable for server and client auth (etcd peers need both). Written as name.crt / name.key.
    /// </summary>
    public PemCertificate IssueServerCertificate(string name, IEnumerable<string>? dnsNames = null, IEnumerable<IPAddress>? ipAddresses = null, bool loopback = true)
    {
        var san = new SubjectAlternativeNameBuilder();
        if (loopback)
        {
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
        }

        foreach (var dns in dnsNames ?? [])
        {
            san.AddDnsName(dns);
        }

        foreach (var ip in ipAddresses ?? [])
        {
            san.AddIpAddress(ip);
        }

        return Issue(name, new X500DistinguishedName($"CN={name}"), [ServerAuthOid, ClientAuthOid], san.Build());
    }

    /// <summary>
    /// A client certificate with CN=<paramref name="commonName"/> and one O per organization, in the
    /// order given (Kubernetes reads them as user name and groups). Written as name.crt / name.key.
    /// </summary>
    public PemCertificate IssueClientCertificate(string name, string commonName, params string[] organizations)
    {
        // The builder encodes its components in the reverse of the order they are added; the subject
        // reads O=first, O=second, ..., CN=name in the certificate, as openssl -subj would write it.
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        foreach (var organization in Enumerable.Reverse(organizations))
        {
            subject.AddOrganizationName(organization);
        }

        return Issue(name, subject.Build(), [ClientAuthOid], subjectAlternativeName: null);
    }

    public void Dispose() => _ca.Dispose();

    private PemCertificate Issue(string name, X500DistinguishedName subject, string[] usages, X509Extension? subjectAlternativeName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (subjectAlternativeName is not null)
        {
            request.CertificateExtensions.Add(subjectAlternativeName);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.Create(_ca, now.AddHours(-1), now.Add(Validity), serial);
        return Write(Directory, name, certificate, key);
    }

    private static PemCertificate Write(string directory, string name, X509Certificate2 certificate, ECDsa key)
    {
        var files = new PemCertificate(Path.Combine(directory, name + ".crt"), Path.Combine(directory, name + ".key"));
        File.WriteAllText(files.CertificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(files.KeyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(files.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return files;
    }
}
