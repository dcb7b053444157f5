using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Admission;
using ApiMachinery.Authentication;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiServer.Registry;

namespace ApiServer.Authorization;

/// <summary>
/// kube's certificate admission plugins (plugin/pkg/admission/certificates): who may approve or sign
/// a CertificateSigningRequest is a question about the synthetic <c>signers</c> resource of
/// certificates.k8s.io, named by the request's signerName or its domain with <c>/*</c>.
/// </summary>
internal static class SignerAuthorization
{
    public const string Group = "certificates.k8s.io";

    public const string Resource = "certificatesigningrequests";

    /// <summary>IsAuthorizedForSignerName: the verb on signers/NAME, else on signers/DOMAIN/*.</summary>
    public static async ValueTask<bool> IsAuthorizedAsync(AuthorizerChain authorizer, UserInfo user, string verb, string signerName, CancellationToken cancellationToken)
    {
        if (await authorizer.IsAllowedAsync(Attributes(user, verb, signerName), cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        var domain = signerName.Split('/')[0];
        return await authorizer.IsAllowedAsync(Attributes(user, verb, domain + "/*"), cancellationToken).ConfigureAwait(false);
    }

    private static AuthorizationAttributes Attributes(UserInfo user, string verb, string name) => new()
    {
        User = user,
        Verb = verb,
        IsResourceRequest = true,
        ApiGroup = Group,
        ApiVersion = "*",
        Resource = "signers",
        Name = name,
    };

    public static string SignerName(JsonObject? csr) => csr.GetString("spec", "signerName") ?? "";

    public static StatusException Forbidden(AdmissionAttributes a, string message) =>
        StatusException.NewForbidden(Group, Resource, a.Name, message);
}

/// <summary>CertificateApproval: an update of certificatesigningrequests/approval needs <c>approve</c> on the request's signer.</summary>
internal sealed class CertificateApprovalAdmission(AuthorizerChain authorizer) : IValidatingAdmissionPlugin
{
    public string Name => "CertificateApproval";

    public bool Handles(AdmissionOperation operation) => operation == AdmissionOperation.Update;

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Group != SignerAuthorization.Group || a.Resource != SignerAuthorization.Resource || a.Subresource != "approval")
        {
            return;
        }

        // The stored request's signer: an approval cannot change it, so that is the one that counts.
        var signer = SignerAuthorization.SignerName(a.OldObject);
        if (!await SignerAuthorization.IsAuthorizedAsync(authorizer, a.UserInfo, "approve", signer, cancellationToken).ConfigureAwait(false))
        {
            throw SignerAuthorization.Forbidden(a, $"user not permitted to approve requests with signerName \"{signer}\"");
        }
    }
}

/// <summary>CertificateSigning: a /status update that changes the certificate or the conditions needs <c>sign</c> on the signer.</summary>
internal sealed class CertificateSigningAdmission(AuthorizerChain authorizer) : IValidatingAdmissionPlugin
{
    public string Name => "CertificateSigning";

    public bool Handles(AdmissionOperation operation) => operation == AdmissionOperation.Update;

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Group != SignerAuthorization.Group || a.Resource != SignerAuthorization.Resource || a.Subresource != "status")
        {
            return;
        }

        var status = a.Object?["status"] as JsonObject;
        var oldStatus = a.OldObject?["status"] as JsonObject;
        if (JsonNode.DeepEquals(status?["certificate"], oldStatus?["certificate"])
            && Registry.Validation.Read.DeepEquals(status?["conditions"], oldStatus?["conditions"]))
        {
            return;
        }

        var signer = SignerAuthorization.SignerName(a.OldObject);
        if (!await SignerAuthorization.IsAuthorizedAsync(authorizer, a.UserInfo, "sign", signer, cancellationToken).ConfigureAwait(false))
        {
            throw SignerAuthorization.Forbidden(a, $"user not permitted to sign requests with signerName \"{signer}\"");
        }
    }
}

/// <summary>CertificateSubjectRestriction: no request for the kube-apiserver-client signer may ask for system:masters.</summary>
internal sealed class CertificateSubjectRestrictionAdmission : IValidatingAdmissionPlugin
{
    private const string KubeApiServerClientSigner = "kubernetes.io/kube-apiserver-client";

    public string Name => "CertificateSubjectRestriction";

    public bool Handles(AdmissionOperation operation) => operation == AdmissionOperation.Create;

    public ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Group != SignerAuthorization.Group || a.Resource != SignerAuthorization.Resource || a.Subresource.Length > 0
            || SignerAuthorization.SignerName(a.Object) != KubeApiServerClientSigner)
        {
            return ValueTask.CompletedTask;
        }

        IReadOnlyList<string> organizations;
        try
        {
            organizations = Organizations(a.Object.GetString("spec", "request") ?? "");
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            throw SignerAuthorization.Forbidden(a, "failed to parse CSR: " + e.Message);
        }

        if (organizations.Contains(UserInfo.SystemPrivilegedGroup))
        {
            throw SignerAuthorization.Forbidden(a, $"use of {KubeApiServerClientSigner} signer with system:masters group is not allowed");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The O= values of the PEM certificate request (base64 as the API carries bytes).</summary>
    private static List<string> Organizations(string request)
    {
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String(request));
        var parsed = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        return parsed.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => rdn.GetSingleElementType().Value == "2.5.4.10")
            .Select(rdn => rdn.GetSingleElementValue() ?? "")
            .ToList();
    }
}
