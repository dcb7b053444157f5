using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>
/// kube-apiserver's ServiceAccount plugin (plugin/pkg/admission/serviceaccount): a new pod runs as
/// the "default" service account unless it names one; the account must exist; unless the pod or
/// the account opts out, every container and init container mounts a projected kube-api-access
/// volume (a bound token, the cluster CA from kube-root-ca.crt, and the namespace); the account's
/// image pull secrets are copied when the pod has none. Mirror pods may reference neither service
/// accounts nor secrets, and are not changed.
/// </summary>
public sealed class ServiceAccountAdmission(IAdmissionObjects objects, TimeProvider time) : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    public const string DefaultServiceAccountName = "default";
    public const string TokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    public const string VolumePrefix = "kube-api-access-";
    public const string RootCaConfigMap = "kube-root-ca.crt";
    private const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    /// <summary>kube's WarnOnlyBoundTokenExpirationSeconds: a little over an hour, so that stale-token use can be told apart.</summary>
    public const long TokenExpirationSeconds = 3607;

    public string Name => AdmissionPlugins.ServiceAccount;

    public bool Handles(AdmissionOperation operation) => operation == AdmissionOperation.Create;

    public async ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (!PodJson.IsPod(attributes) || attributes.Object is not { } pod)
        {
            return;
        }

        if (pod["metadata"]?["annotations"]?[MirrorPodAnnotation] is not null)
        {
            CheckMirrorPod(attributes, pod);
            return;
        }

        var spec = PodJson.Spec(pod);
        var accountName = spec.GetString("serviceAccountName") ?? "";
        if (accountName.Length == 0)
        {
            accountName = DefaultServiceAccountName;
            spec["serviceAccountName"] = accountName;
        }

        // The deprecated alias the v1 API keeps in step with serviceAccountName.
        spec["serviceAccount"] = accountName;

        var account = await GetServiceAccountAsync(attributes, accountName, cancellationToken).ConfigureAwait(false);
        if (ShouldAutomount(account, spec))
        {
            MountToken(spec);
        }

        if (spec["imagePullSecrets"] is not JsonArray { Count: > 0 } && account["imagePullSecrets"] is JsonArray { Count: > 0 } pullSecrets)
        {
            spec["imagePullSecrets"] = new JsonArray(pullSecrets
                .Select(s => (JsonNode)new JsonObject { ["name"] = s.GetString("name") ?? "" })
                .ToArray());
        }
    }

    public async ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (!PodJson.IsPod(attributes) || attributes.Object is not { } pod)
        {
            return;
        }

        if (pod["metadata"]?["annotations"]?[MirrorPodAnnotation] is not null)
        {
            CheckMirrorPod(attributes, pod);
            return;
        }

        var accountName = pod["spec"].GetString("serviceAccountName") ?? "";
        if (accountName.Length > 0)
        {
            await GetServiceAccountAsync(attributes, accountName, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<JsonObject> GetServiceAccountAsync(AdmissionAttributes attributes, string name, CancellationToken cancellationToken)
    {
        // The default account is created by a controller moments after its namespace: give it a
        // little time, as kube-apiserver does (10 tries for "default", one for others).
        var attempts = name == DefaultServiceAccountName ? 10 : 1;
        for (var i = 0; i < attempts; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 + Random.Shared.Next(100)), time, cancellationToken).ConfigureAwait(false);
            }

            if (await objects.GetAsync("", "serviceaccounts", attributes.Namespace, name, cancellationToken).ConfigureAwait(false) is { } account)
            {
                return account;
            }
        }

        throw StatusException.NewForbidden(attributes.Group, attributes.Resource, attributes.Name,
            $"error looking up service account {attributes.Namespace}/{name}: serviceaccount \"{name}\" not found");
    }

    private static void CheckMirrorPod(AdmissionAttributes attributes, JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        if ((spec.GetString("serviceAccountName") ?? "").Length > 0)
        {
            throw StatusException.NewForbidden(attributes.Group, attributes.Resource, attributes.Name, "a mirror pod may not reference service accounts");
        }

        if (spec?["volumes"] is JsonArray volumes && volumes.Any(v => v?["secret"] is not null))
        {
            throw StatusException.NewForbidden(attributes.Group, attributes.Resource, attributes.Name, "a mirror pod may not reference secrets");
        }
    }

    /// <summary>The pod's setting wins, then the account's; mounting is the default.</summary>
    private static bool ShouldAutomount(JsonObject account, JsonObject spec) =>
        PodJson.Bool(spec, "automountServiceAccountToken") ?? PodJson.Bool(account, "automountServiceAccountToken") ?? true;

    private static void MountToken(JsonObject spec)
    {
        var volumes = spec["volumes"] as JsonArray;
        var volumeName = volumes?.Select(v => v.GetString("name") ?? "").FirstOrDefault(n => n.StartsWith(VolumePrefix, StringComparison.Ordinal));
        var hasVolume = volumeName is not null;
        volumeName ??= VolumePrefix + PodJson.RandomSuffix();

        var needsVolume = false;
        foreach (var container in PodJson.Containers(spec))
        {
            var mounts = PodJson.Array(container, "volumeMounts");
            // A container that already mounts something at the token path keeps it.
            if (mounts.Any(m => (m.GetString("mountPath") ?? "") == TokenMountPath))
            {
                continue;
            }

            mounts.Add(new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = TokenMountPath });
            needsVolume = true;
        }

        if (!hasVolume && needsVolume)
        {
            PodJson.Array(spec, "volumes").Add(TokenVolume(volumeName));
        }
    }

    private static JsonObject TokenVolume(string name) => new()
    {
        ["name"] = name,
        ["projected"] = new JsonObject
        {
            ["sources"] = new JsonArray(
                new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = TokenExpirationSeconds, ["path"] = "token" } },
                new JsonObject
                {
                    ["configMap"] = new JsonObject
                    {
                        ["name"] = RootCaConfigMap,
                        ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }),
                    },
                },
                new JsonObject
                {
                    ["downwardAPI"] = new JsonObject
                    {
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["path"] = "namespace",
                            ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                        }),
                    },
                }),
            ["defaultMode"] = 420,
        },
    };
}
