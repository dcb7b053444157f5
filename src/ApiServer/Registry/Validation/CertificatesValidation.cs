using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
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

    /// <summary>
    /// What kube's certificateValidationOptions allow: the subresource's own powers, and the bad
    /// states an update tolerates because the stored object already has them.
    /// </summary>
    private sealed record Options
    {
        public bool AllowSettingApprovalConditions { get; init; }
        public bool AllowSettingCertificate { get; init; }
        public bool AllowBothApprovedAndDenied { get; init; }
        public bool AllowLegacySignerName { get; init; }
        public bool AllowDuplicateConditionTypes { get; init; }
        public bool AllowEmptyConditionType { get; init; }
        public bool AllowArbitraryCertificate { get; init; }
        public bool AllowUnknownUsages { get; init; }
        public bool AllowDuplicateUsages { get; init; }
    }

    private static readonly string[] ApprovalTypes = ["Approved", "Denied"];

    public static void CertificateSigningRequest(JsonObject csr, List<FieldError> errs) => Validate(csr, OptionsFor(csr, null), errs);

    /// <summary>ValidateCertificateSigningRequestUpdate: a main-resource update (the strategy keeps spec and status).</summary>
    public static void CertificateSigningRequestUpdate(JsonObject csr, JsonObject old, List<FieldError> errs) =>
        ValidateUpdate(csr, old, OptionsFor(csr, old), errs);

    /// <summary>ValidateCertificateSigningRequestStatusUpdate: /status may set the certificate.</summary>
    public static void CertificateSigningRequestStatusUpdate(JsonObject csr, JsonObject old, List<FieldError> errs) =>
        ValidateUpdate(csr, old, OptionsFor(csr, old) with { AllowSettingCertificate = true }, errs);

    /// <summary>ValidateCertificateSigningRequestApprovalUpdate: /approval may add Approved or Denied.</summary>
    public static void CertificateSigningRequestApprovalUpdate(JsonObject csr, JsonObject old, List<FieldError> errs) =>
        ValidateUpdate(csr, old, OptionsFor(csr, old) with { AllowSettingApprovalConditions = true }, errs);

    private static Options OptionsFor(JsonObject csr, JsonObject? old)
    {
        if (old is null)
        {
            return new Options();
        }
        var oldConditions = Read.Items(old["status"], "conditions");
        var oldTypes = oldConditions.Select(c => c.GetString("type") ?? "").ToList();
        var oldUsages = Read.Strings(old["spec"], "usages");
        var oldCertificate = DecodeBytes(old["status"]?["certificate"]);
        return new Options
        {
            AllowBothApprovedAndDenied = oldTypes.Contains("Approved") && oldTypes.Contains("Denied"),
            AllowLegacySignerName = old["spec"].GetString("signerName") == "kubernetes.io/legacy-unknown",
            AllowDuplicateConditionTypes = oldTypes.Distinct(StringComparer.Ordinal).Count() != oldTypes.Count,
            AllowEmptyConditionType = oldTypes.Contains(""),
            AllowArbitraryCertificate = DecodeBytes(csr["status"]?["certificate"]).AsSpan().SequenceEqual(oldCertificate)
                || CertificateError(oldCertificate) is not null,
            AllowUnknownUsages = oldUsages.Any(u => !Usages.Contains(u, StringComparer.Ordinal)),
            AllowDuplicateUsages = oldUsages.Distinct(StringComparer.Ordinal).Count() != oldUsages.Count,
        };
    }

    private static void Validate(JsonObject csr, Options opts, List<FieldError> errs)
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
        if (!opts.AllowUnknownUsages)
        {
            for (var i = 0; i < usages.Count; i++)
            {
                if (!Usages.Contains(usages[i], StringComparer.Ordinal))
                {
                    errs.Add(FieldError.NotSupported(path.Child("usages").Index(i), usages[i], Usages));
                }
            }
        }
        if (!opts.AllowDuplicateUsages)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < usages.Count; i++)
            {
                if (!seen.Add(usages[i]))
                {
                    errs.Add(FieldError.Duplicate(path.Child("usages").Index(i), usages[i]));
                }
            }
        }
        var signer = spec.GetString("signerName") ?? "";
        if (!opts.AllowLegacySignerName && signer == "kubernetes.io/legacy-unknown")
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
        Conditions(errs, csr, opts);
        if (!opts.AllowArbitraryCertificate && CertificateError(DecodeBytes(csr["status"]?["certificate"])) is { } certificateError)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("status", "certificate"), "<certificate data>", certificateError));
        }
    }

    /// <summary>validateCertificateSigningRequestUpdate: the new object's rules, then what an update may not do to conditions and the certificate.</summary>
    private static void ValidateUpdate(JsonObject csr, JsonObject old, Options opts, List<FieldError> errs)
    {
        Validate(csr, opts, errs);
        var conditionsPath = FieldPath.New("status", "conditions");
        foreach (var type in new[] { "Approved", "Denied", "Failed" })
        {
            if (ConditionsOf(csr, type).Count < ConditionsOf(old, type).Count)
            {
                errs.Add(FieldError.Forbidden(conditionsPath, $"updates may not remove a condition of type \"{type}\""));
            }
        }
        if (!opts.AllowSettingApprovalConditions)
        {
            foreach (var type in ApprovalTypes)
            {
                var before = ConditionsOf(old, type);
                var after = ConditionsOf(csr, type);
                if (after.Count > before.Count)
                {
                    errs.Add(FieldError.Forbidden(conditionsPath, $"updates may not add a condition of type \"{type}\""));
                }
                else if (after.Count == before.Count && !Read.DeepEquals(new JsonArray([.. before.Select(c => c.DeepClone())]), new JsonArray([.. after.Select(c => c.DeepClone())])))
                {
                    errs.Add(FieldError.Forbidden(conditionsPath, $"updates may not modify a condition of type \"{type}\""));
                }
            }
        }
        var certificate = DecodeBytes(csr["status"]?["certificate"]);
        var oldCertificate = DecodeBytes(old["status"]?["certificate"]);
        if (!certificate.AsSpan().SequenceEqual(oldCertificate))
        {
            if (!opts.AllowSettingCertificate)
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("status", "certificate"), "updates may not set certificate content"));
            }
            else if (oldCertificate.Length > 0)
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("status", "certificate"), "updates may not modify existing certificate content"));
            }
        }
    }

    private static List<JsonObject> ConditionsOf(JsonObject csr, string type) =>
        Read.Items(csr["status"], "conditions").Where(c => (c.GetString("type") ?? "") == type).ToList();

    /// <summary>validateConditions: Approved, Denied and Failed may only be True; types are unique; Approved excludes Denied.</summary>
    private static void Conditions(List<FieldError> errs, JsonObject csr, Options opts)
    {
        var conditions = Read.Items(csr["status"], "conditions");
        var path = FieldPath.New("status", "conditions");
        var seenTypes = new HashSet<string>(StringComparer.Ordinal);
        bool hasApproved = false, hasDenied = false;
        for (var i = 0; i < conditions.Count; i++)
        {
            var type = conditions[i].GetString("type") ?? "";
            if (!opts.AllowEmptyConditionType && type.Length == 0)
            {
                errs.Add(FieldError.Required(path.Index(i).Child("type"), ""));
            }
            var status = conditions[i].GetString("status") ?? "";
            string[] allowed = type is "Approved" or "Denied" or "Failed" ? ["True"] : ["False", "True", "Unknown"];
            if (status.Length == 0)
            {
                errs.Add(FieldError.Required(path.Index(i).Child("status"), ""));
            }
            else if (!allowed.Contains(status, StringComparer.Ordinal))
            {
                errs.Add(FieldError.NotSupported(path.Index(i).Child("status"), status, allowed));
            }
            hasApproved |= type == "Approved";
            hasDenied |= type == "Denied";
            if (!opts.AllowDuplicateConditionTypes && !seenTypes.Add(type))
            {
                errs.Add(FieldError.Duplicate(path.Index(i).Child("type"), type));
            }
        }
        if (!opts.AllowBothApprovedAndDenied && hasApproved && hasDenied)
        {
            errs.Add(FieldError.Invalid(path, new GoValue("[]certificates.CertificateSigningRequestCondition{...}"), "Approved and Denied conditions are mutually exclusive"));
        }
    }

    /// <summary>validateCertificate: empty, or only CERTIFICATE PEM blocks without headers, each parsing as X.509.</summary>
    private static string? CertificateError(byte[] pem)
    {
        if (pem.Length == 0)
        {
            return null;
        }
        var text = Encoding.ASCII.GetString(pem);
        var blocks = 0;
        var position = 0;
        while (true)
        {
            var begin = text.IndexOf("-----BEGIN ", position, StringComparison.Ordinal);
            if (begin < 0)
            {
                break;
            }
            var typeEnd = text.IndexOf("-----", begin + 11, StringComparison.Ordinal);
            if (typeEnd < 0)
            {
                break;
            }
            var type = text[(begin + 11)..typeEnd];
            var endMarker = $"-----END {type}-----";
            var end = text.IndexOf(endMarker, typeEnd, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }
            if (type != "CERTIFICATE")
            {
                return $"only CERTIFICATE PEM blocks are allowed, found \"{type}\"";
            }
            var body = text[(typeEnd + 5)..end];
            if (body.Contains(':', StringComparison.Ordinal))
            {
                return "no PEM block headers are permitted";
            }
            try
            {
                using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(body.Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal)));
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                return "x509: malformed certificate";
            }
            blocks++;
            position = end + endMarker.Length;
        }
        return blocks == 0 ? "must contain at least one CERTIFICATE PEM block" : null;
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
