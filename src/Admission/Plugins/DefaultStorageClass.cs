using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>
/// kube-apiserver's DefaultStorageClass: a new claim that names no storage class (the field absent,
/// not "") gets the class annotated as the default; with several, the newest.
/// </summary>
public sealed class DefaultStorageClass(IAdmissionObjects objects) : IMutatingAdmissionPlugin
{
    public const string DefaultAnnotation = "storageclass.kubernetes.io/is-default-class";
    public const string BetaDefaultAnnotation = "storageclass.beta.kubernetes.io/is-default-class";

    public string Name => AdmissionPlugins.DefaultStorageClass;

    public bool Handles(AdmissionOperation operation) => operation == AdmissionOperation.Create;

    public async ValueTask AdmitAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Group.Length != 0 || a.Resource != "persistentvolumeclaims" || a.Subresource.Length > 0 || a.Object is not { } claim)
        {
            return;
        }

        var spec = PodJson.Spec(claim);
        if (spec.ContainsKey("storageClassName") && spec["storageClassName"] is not null)
        {
            return;
        }

        var classes = await objects.ListAsync("storage.k8s.io", "storageclasses", "", cancellationToken).ConfigureAwait(false);
        var chosen = classes
            .Where(c => PodJson.Annotation(c, DefaultAnnotation) == "true" || PodJson.Annotation(c, BetaDefaultAnnotation) == "true")
            .OrderByDescending(c => c["metadata"].GetString("creationTimestamp") ?? "", StringComparer.Ordinal)
            .ThenBy(c => c["metadata"].GetString("name") ?? "", StringComparer.Ordinal)
            .FirstOrDefault();
        if (chosen is not null)
        {
            spec["storageClassName"] = chosen["metadata"].GetString("name") ?? "";
        }
    }
}
