using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ApiServer.Authentication;

/// <summary>
/// One key that verifies (and, with a private part, signs) service-account JWTs: RSA (RS256) or
/// ECDSA on P-256/P-384/P-521 (ES256/ES384/ES512), as k8s.io/kubernetes pkg/serviceaccount chooses
/// the algorithm from the key. The key id is base64url(SHA-256(PKIX public key)), as kube-apiserver
/// computes it, so tokens from either server name the same kid.
/// </summary>
internal sealed class JwtKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    private JwtKey(RSA? rsa, ECDsa? ec)
    {
        _rsa = rsa;
        _ec = ec;
        var spki = rsa is not null ? rsa.ExportSubjectPublicKeyInfo() : ec!.ExportSubjectPublicKeyInfo();
        KeyId = Base64Url(SHA256.HashData(spki));
        Algorithm = rsa is not null
            ? "RS256"
            : ec!.KeySize switch
            {
                256 => "ES256",
                384 => "ES384",
                521 => "ES512",
                _ => throw new InvalidOperationException($"unsupported ECDSA key size {ec.KeySize}"),
            };
    }

    public string KeyId { get; }

    public string Algorithm { get; }

    private HashAlgorithmName Hash => Algorithm switch
    {
        "ES384" => HashAlgorithmName.SHA384,
        "ES512" => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>Every key in a PEM file: public keys, private keys (their public half verifies) and certificates.</summary>
    public static IReadOnlyList<JwtKey> LoadAll(string path)
    {
        var text = File.ReadAllText(path);
        var keys = new List<JwtKey>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var pem = rest[fields.Location].ToString();
            rest = rest[fields.Location.End..];
            switch (label)
            {
                case "CERTIFICATE":
                    using (var cert = X509Certificate2.CreateFromPem(pem))
                    {
                        keys.Add(cert.GetRSAPublicKey() is { } r ? new JwtKey(r, null) : new JwtKey(null, cert.GetECDsaPublicKey()));
                    }

                    break;
                case "PUBLIC KEY" or "RSA PUBLIC KEY" or "RSA PRIVATE KEY" or "PRIVATE KEY" or "EC PRIVATE KEY":
                    keys.Add(FromPem(pem));
                    break;
                default:
                    break;
            }
        }

        return keys.Count > 0 ? keys : throw new InvalidOperationException($"no public or private keys found in {path}");
    }

    /// <summary>The signing key of --service-account-signing-key-file (a private key).</summary>
    public static JwtKey LoadSigningKey(string path)
    {
        var text = File.ReadAllText(path);
        if (!text.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} does not contain a private key");
        }

        return FromPem(text);
    }

    private static JwtKey FromPem(string pem)
    {
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new JwtKey(rsa, null);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new JwtKey(null, ec);
        }
    }

    /// <summary>A compact JWS of <paramref name="claims"/> with this key's algorithm and kid.</summary>
    public string Sign(JsonObject claims)
    {
        var header = new JsonObject { ["alg"] = Algorithm, ["kid"] = KeyId };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = _rsa is not null
            ? _rsa.SignData(data, Hash, RSASignaturePadding.Pkcs1)
            : _ec!.SignData(data, Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url(signature);
    }

    public bool Verify(string algorithm, ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        if (algorithm != Algorithm)
        {
            return false;
        }

        try
        {
            return _rsa is not null
                ? _rsa.VerifyData(signingInput, signature, Hash, RSASignaturePadding.Pkcs1)
                : _ec!.VerifyData(signingInput, signature, Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _rsa?.Dispose();
        _ec?.Dispose();
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[]? FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(s);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>A JWS split and checked against a set of keys; the claims only when the signature holds.</summary>
internal static class Jws
{
    /// <summary>Whether <paramref name="token"/> looks like a JWT at all (three base64url parts with a JSON header).</summary>
    public static bool TryParse(string token, out JsonObject header, out JsonObject claims)
    {
        header = [];
        claims = [];
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            var h = JwtKey.FromBase64Url(parts[0]);
            var c = JwtKey.FromBase64Url(parts[1]);
            if (h is null || c is null || JsonNode.Parse(h) is not JsonObject ho || JsonNode.Parse(c) is not JsonObject co)
            {
                return false;
            }

            header = ho;
            claims = co;
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    public static bool VerifySignature(string token, IEnumerable<JwtKey> keys, string algorithm, string? keyId)
    {
        var lastDot = token.LastIndexOf('.');
        var signature = JwtKey.FromBase64Url(token[(lastDot + 1)..]);
        if (signature is null)
        {
            return false;
        }

        var input = Encoding.ASCII.GetBytes(token[..lastDot]);
        return keys.Where(k => keyId is null || k.KeyId == keyId).Any(k => k.Verify(algorithm, input, signature))
            // A kid that matches none of our keys may still come from a key we hold under another id.
            || (keyId is not null && keys.Any(k => k.Verify(algorithm, input, signature)));
    }
}
