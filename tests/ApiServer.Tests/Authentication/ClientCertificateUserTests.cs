using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ApiServer.Authentication;

namespace ApiServer.Tests.Authentication;

/// <summary>CN and O of a client certificate's subject, read as Go's pkix.Name reads them.</summary>
public sealed class ClientCertificateUserTests
{
    private const string CommonName = "2.5.4.3";
    private const string Organization = "2.5.4.10";

    /// <summary>A subject whose RDNs are encoded exactly in the order given (each RDN a set of attributes).</summary>
    private static X500DistinguishedName Subject(params (string Oid, string Value)[][] rdns)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var rdn in rdns)
            {
                using (writer.PushSetOf())
                {
                    foreach (var (oid, value) in rdn)
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier(oid);
                            writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                        }
                    }
                }
            }
        }

        return new X500DistinguishedName(writer.Encode());
    }

    private static X509Certificate2 Certificate(X500DistinguishedName subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
    }

    [Fact]
    public void Organizations_AreGroupsInEncodedOrder_ThenSystemAuthenticated()
    {
        using var certificate = Certificate(Subject([(Organization, "zeta")], [(Organization, "alpha")], [(CommonName, "jane")]));
        var user = ClientCertificates.UserOf(certificate)!;
        Assert.Equal("jane", user.Name);
        Assert.Equal(["zeta", "alpha", "system:authenticated"], user.Groups);
    }

    [Fact]
    public void CommonNameFirst_DoesNotChangeTheGroupsOrder()
    {
        using var certificate = Certificate(Subject([(CommonName, "jane")], [(Organization, "b")], [(Organization, "a")]));
        Assert.Equal(["b", "a", "system:authenticated"], ClientCertificates.UserOf(certificate)!.Groups);
    }

    [Fact]
    public void SystemAuthenticatedInTheCertificate_IsNotAddedTwice()
    {
        using var certificate = Certificate(Subject([(Organization, "system:authenticated")], [(Organization, "dev")], [(CommonName, "jane")]));
        Assert.Equal(["system:authenticated", "dev"], ClientCertificates.UserOf(certificate)!.Groups);
    }

    [Fact]
    public void MultiValuedRdn_ContributesEachValueInOrder()
    {
        using var certificate = Certificate(Subject([(Organization, "one"), (Organization, "two")], [(CommonName, "jane")]));
        var user = ClientCertificates.UserOf(certificate)!;
        // DER sorts a SET's members by their encoding, so the order within one RDN is the encoder's.
        Assert.Equal(["one", "two"], user.Groups.Take(2).Order(StringComparer.Ordinal));
        Assert.Equal("system:authenticated", user.Groups[2]);
        Assert.Equal("jane", user.Name);
    }

    [Fact]
    public void NoCommonName_IsNoUser() =>
        Assert.Null(ClientCertificates.UserOf(Certificate(Subject([(Organization, "system:masters")]))));
}
