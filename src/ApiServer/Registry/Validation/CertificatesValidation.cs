using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// certificates.k8s.io/v1 (kube's pkg/apis/certificates/validation): CertificateSigningRequest —
/// a PEM certificate request with a valid signature, known usages, a signer name of the form
/// domain/path, an expiration of at least ten minutes, well-formed conditions.
/// </summary>
internal static class CertificatesValidation
{
    private static readonly string[] Usages =
    [
        "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment",
        "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel",
        "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime",
        "server auth", "signing", "timestamping",
    ];

    public static void CertificateSigningRequest(JsonObject csr, List<FieldError> errs)
    {
        var spec = Read.Obj(csr, "spec") ?? [];
        var path = FieldPath.New("spec");
        var request = DecodeBytes(spec["request"]);
        if (RequestError(request) is { } error)
        {
            errs.Add(FieldError.Invalid(path.Child("request"), new GoValue(GoBytes(request)), error));
        }
        var usages = Read.Strings(spec, "usages");
        if (usages.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("usages"), "usages must be provided"));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < usages.Count; i++)
        {
            if (!Usages.Contains(usages[i], StringComparer.Ordinal))
            {
                errs.Add(FieldError.NotSupported(path.Child("usages").Index(i), usages[i], Usages));
            }
            if (!seen.Add(usages[i]))
            {
                errs.Add(FieldError.Duplicate(path.Child("usages").Index(i), usages[i]));
            }
        }
        var signer = Read.Str(spec, "signerName");
        if (signer == "kubernetes.io/legacy-unknown")
        {
            errs.Add(FieldError.Invalid(path.Child("signerName"), signer, "the legacy signerName is not allowed via this API version"));
        }
        else
        {
            SignerName(errs, signer, path.Child("signerName"));
        }
        if (Read.IntOrNull(spec, "expirationSeconds") is < 600 and var seconds)
        {
            errs.Add(FieldError.Invalid(path.Child("expirationSeconds"), seconds, "may not specify a duration less than 600 seconds (10 minutes)"));
        }
        Conditions(errs, csr);
    }

    public static void CertificateSigningRequestStatusUpdate(JsonObject csr, JsonObject old, List<FieldError> errs) => Conditions(errs, csr);

    private static void Conditions(List<FieldError> errs, JsonObject csr)
    {
        var conditions = Read.Items(csr["status"], "conditions");
        var path = FieldPath.New("status", "conditions");
        var seenTypes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < conditions.Count; i++)
        {
            var type = Read.Str(conditions[i], "type");
            if (type.Length == 0)
            {
                errs.Add(FieldError.Required(path.Index(i).Child("type"), ""));
            }
            else if (type is "Approved" or "Denied" or "Failed" && !seenTypes.Add(type))
            {
                errs.Add(FieldError.Duplicate(path.Index(i).Child("type"), type));
            }
            var status = Read.Str(conditions[i], "status");
            if (status.Length == 0)
            {
                errs.Add(FieldError.Required(path.Index(i).Child("status"), ""));
            }
            else if (status is not ("True" or "False" or "Unknown"))
            {
                errs.Add(FieldError.NotSupported(path.Index(i).Child("status"), status, ["False", "True", "Unknown"]));
            }
        }
        if (seenTypes.Contains("Approved") && seenTypes.Contains("Denied"))
        {
            errs.Add(FieldError.Invalid(path, new GoValue("[]certificates.CertificateSigningRequestCondition{...}"), "Approved and Denied conditions are mutually exclusive"));
        }
    }

    /// <summary>ValidateSignerName: "domain/path", the domain with at least two DNS labels.</summary>
    public static void SignerName(List<FieldError> errs, string signer, FieldPath path)
    {
        if (signer.Length == 0)
        {
            errs.Add(FieldError.Required(path, ""));
            return;
        }
        var segments = signer.Split('/');
        if (segments.Length != 2)
        {
            errs.Add(FieldError.Invalid(path, signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
            return;
        }
        var labels = segments[0].Split('.');
        foreach (var label in labels)
        {
            if (NameValidation.IsDNS1123Label(label) is { Count: > 0 } problems)
            {
                errs.Add(FieldError.Invalid(path, segments[0], string.Join(",", problems)));
            }
        }
        if (labels.Length < 2)
        {
            errs.Add(FieldError.Invalid(path, segments[0], "should be a domain with at least two segments separated by dots"));
        }
        foreach (var label in segments[1].Split('.'))
        {
            if (NameValidation.IsDNS1123Subdomain(label) is { Count: > 0 } problems)
            {
                errs.Add(FieldError.Invalid(path, segments[1], string.Join(",", problems)));
            }
        }
    }

    /// <summary>certificates.ParseCSR plus CheckSignature; null when the request is a signed PKCS#10 request.</summary>
    private static string? RequestError(byte[] request)
    {
        var text = Encoding.ASCII.GetString(request);
        const string begin = "-----BEGIN CERTIFICATE REQUEST-----";
        const string end = "-----END CERTIFICATE REQUEST-----";
        var start = text.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        if (start < 0 || !text.AsSpan(start).StartsWith(begin, StringComparison.Ordinal) || text.IndexOf(end, start, StringComparison.Ordinal) < 0)
        {
            return "PEM block type must be CERTIFICATE REQUEST";
        }
        var stop = text.IndexOf(end, start, StringComparison.Ordinal) + end.Length;
        try
        {
            CertificateRequest.LoadSigningRequestPem(text[start..stop], HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            return null;
        }
        catch (CryptographicException e) when (e.Message.Contains("signature", StringComparison.OrdinalIgnoreCase))
        {
            return "x509: ECDSA verification failure";
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return "asn1: structure error: tags don't match";
        }
    }

    private static byte[] DecodeBytes(JsonNode? value)
    {
        try
        {
            return Convert.FromBase64String(Read.QuantityText(value) ?? "");
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>A []byte as Go's %#v prints it.</summary>
    private static string GoBytes(byte[] bytes) =>
        bytes.Length == 0 ? "[]byte(nil)" : "[]byte{" + string.Join(", ", bytes.Select(b => "0x" + b.ToString("x", System.Globalization.CultureInfo.InvariantCulture))) + "}";
}
