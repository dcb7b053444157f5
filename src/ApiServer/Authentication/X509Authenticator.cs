using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ApiMachinery.Authentication;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Authentication;

/// <summary>
/// Client-certificate authentication against --client-ca-file: the certificate must chain to one of
/// the CA's certificates (and only to them: the system store is not trusted), be valid now and allow
/// client authentication. The subject's CN is the user name and every O is a group, as in
/// k8s.io/apiserver pkg/authentication/request/x509.
/// Kestrel accepts any certificate at the TLS layer so that a bad one answers 401 with a Status
/// instead of a failed handshake.
/// </summary>
internal sealed class X509Authenticator : IAuthenticator
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>How long a verified certificate is trusted without building its chain again.</summary>
    private static readonly TimeSpan VerifiedLifetime = TimeSpan.FromMinutes(5);

    private const int MaxCachedCertificates = 10_000;

    private readonly X509Certificate2Collection _roots;
    private readonly TimeProvider _time;

    // Building an X509 chain costs about a millisecond; a client sends many requests with one
    // certificate. Verified certificates are remembered by their SHA-256 hash (as kube-apiserver's
    // x509 authenticator caches its verifications), never past their notAfter.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AuthenticationResult Result, DateTimeOffset Until)> _verified = new(StringComparer.Ordinal);

    public X509Authenticator(string clientCaFile, TimeProvider time)
    {
        _roots = new X509Certificate2Collection();
        _roots.ImportFromPemFile(clientCaFile);
        if (_roots.Count == 0)
        {
            throw new InvalidOperationException($"--client-ca-file {clientCaFile} contains no certificates");
        }

        _time = time;
    }

    public ValueTask<AuthenticationResult> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var certificate = context.Connection.ClientCertificate;
        if (certificate is null)
        {
            return ValueTask.FromResult(AuthenticationResult.NoCredentials);
        }

        var hash = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var now = _time.GetUtcNow();
        if (_verified.TryGetValue(hash, out var cached) && now < cached.Until)
        {
            return ValueTask.FromResult(cached.Result);
        }

        var result = Verify(certificate);
        if (result.User is not null)
        {
            if (_verified.Count >= MaxCachedCertificates)
            {
                _verified.Clear();
            }

            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            _verified[hash] = (result, notAfter < now + VerifiedLifetime ? notAfter : now + VerifiedLifetime);
        }

        return ValueTask.FromResult(result);
    }

    internal AuthenticationResult Verify(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        if (!chain.Build(certificate))
        {
            var reasons = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return AuthenticationResult.Failed($"verifying certificate {certificate.Subject} failed: {reasons}");
        }

        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (string.IsNullOrEmpty(cn))
        {
            return AuthenticationResult.Failed("client certificate has no common name");
        }

        var groups = OrganizationsOf(certificate.SubjectName).Append(UserInfo.AllAuthenticated).ToArray();
        return AuthenticationResult.Success(new UserInfo(cn, groups));
    }

    /// <summary>Every O= of the subject, in order (GetNameInfo returns only one).</summary>
    private static IEnumerable<string> OrganizationsOf(X500DistinguishedName name)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == "2.5.4.10" && rdn.GetSingleElementValue() is { Length: > 0 } org)
            {
                yield return org;
            }
        }
    }
}
