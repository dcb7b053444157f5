using System.Security.Cryptography.X509Certificates;
using ApiMachinery.Authentication;
using ApiServer.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ApiServer.Authentication;

/// <summary>
/// x509 client certificates (k8s.io/apiserver pkg/authentication/request/x509) through
/// Microsoft.AspNetCore.Authentication.Certificate: the certificate must chain to a certificate of
/// --client-ca-file and to nothing else (custom root trust; the system store is not consulted), be
/// valid now, and allow client authentication (extended key usage). The package's validation cache
/// keeps each verified certificate's answer (by its SHA-256 hash) for a while, never past its notAfter,
/// as building a chain costs about a millisecond and a client sends many requests with one certificate
/// (<see cref="VerifiedOnlyCache"/>: refusals are not kept).
/// Kestrel accepts any certificate at the TLS layer, so a bad one answers 401 with a Status rather than
/// failing the handshake.
/// </summary>
internal static class ClientCertificates
{
    /// <summary>How long a verified certificate is trusted without building its chain again (sliding).</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(5);

    public const int CacheSize = 10_000;

    /// <summary>The options kube-apiserver's x509 verification amounts to, trusting <paramref name="clientCaFile"/> alone.</summary>
    public static void Configure(CertificateAuthenticationOptions options, string clientCaFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(clientCaFile);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"--client-ca-file {clientCaFile} contains no certificates");
        }

        // Only certificates issued by a CA: with SelfSigned allowed, the package would accept any
        // self-signed certificate without looking at the trust store.
        options.AllowedCertificateTypes = CertificateTypes.Chained;
        options.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
        options.CustomTrustStore = roots;
        options.RevocationMode = X509RevocationMode.NoCheck;
        options.ValidateCertificateUse = true;
        options.ValidateValidityPeriod = true;
        options.Events = new CertificateAuthenticationEvents
        {
            OnCertificateValidated = context =>
            {
                if (UserOf(context.ClientCertificate) is { } user)
                {
                    context.Principal = UserIdentity.Principal(user, context.Scheme.Name);
                    context.Success();
                }
                else
                {
                    // kube's CommonNameUserConversion: no common name is not this authenticator's
                    // user, and not an error either; the next authenticator (or anonymous) decides.
                    context.NoResult();
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// The package's validation cache for verified certificates only. It would also remember a
    /// refusal, and its expiration slides on every use: a certificate refused because it was not yet
    /// valid (the server's clock a little behind the issuer's) would stay refused for as long as the
    /// client kept retrying, where kube-apiserver, which keeps no verdicts, accepts it once valid.
    /// </summary>
    internal sealed class VerifiedOnlyCache(IOptions<CertificateValidationCacheOptions> options) : ICertificateValidationCache
    {
        private readonly CertificateValidationCache _cache = new(options);

        public AuthenticateResult? Get(HttpContext context, X509Certificate2 certificate) => _cache.Get(context, certificate);

        public void Put(HttpContext context, X509Certificate2 certificate, AuthenticateResult result)
        {
            if (result.Failure is null)
            {
                _cache.Put(context, certificate, result);
            }
        }
    }

    /// <summary>CN is the user name, every O a group in the order the subject lists them (Go's pkix.Name.Organization).</summary>
    internal static UserInfo? UserOf(X509Certificate2 certificate)
    {
        var name = "";
        var groups = new List<string>();
        // The subject's RDNs in their encoded order; the default enumeration is the reverse (display) order.
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames(reversed: false))
        {
            if (rdn.HasMultipleElements)
            {
                // A multi-valued RDN is rare; its values are read like single ones, in order.
                foreach (var (oid, value) in MultiValued(rdn))
                {
                    Take(oid, value, ref name, groups);
                }
            }
            else
            {
                Take(rdn.GetSingleElementType().Value, rdn.GetSingleElementValue(), ref name, groups);
            }
        }

        if (name.Length == 0)
        {
            return null;
        }

        if (!groups.Contains(UserInfo.AllAuthenticated))
        {
            groups.Add(UserInfo.AllAuthenticated);
        }

        return new UserInfo(name, groups);
    }

    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    private static void Take(string? oid, string? value, ref string name, List<string> groups)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (oid == CommonNameOid)
        {
            // Go keeps the last CN of the subject.
            name = value;
        }
        else if (oid == OrganizationOid)
        {
            groups.Add(value);
        }
    }

    private static IEnumerable<(string? Oid, string? Value)> MultiValued(X500RelativeDistinguishedName rdn)
    {
        // SET OF AttributeTypeAndValue { type OID, value DirectoryString }.
        var reader = new System.Formats.Asn1.AsnReader(rdn.RawData, System.Formats.Asn1.AsnEncodingRules.DER);
        var set = reader.ReadSetOf(skipSortOrderValidation: true);
        var values = new List<(string?, string?)>();
        while (set.HasData)
        {
            var attribute = set.ReadSequence();
            var oid = attribute.ReadObjectIdentifier();
            var tag = attribute.PeekTag();
            string? value = tag.TagClass == System.Formats.Asn1.TagClass.Universal
                && Enum.IsDefined(typeof(System.Formats.Asn1.UniversalTagNumber), tag.TagValue)
                ? TryReadString(attribute, (System.Formats.Asn1.UniversalTagNumber)tag.TagValue)
                : null;
            values.Add((oid, value));
        }

        return values;
    }

    private static string? TryReadString(System.Formats.Asn1.AsnReader reader, System.Formats.Asn1.UniversalTagNumber type)
    {
        try
        {
            return reader.ReadCharacterString(type);
        }
        catch (Exception e) when (e is System.Formats.Asn1.AsnContentException or ArgumentException)
        {
            return null;
        }
    }
}
