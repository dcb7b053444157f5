using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Authorization.Rbac;
using ApiServer.Registry;
using Microsoft.Extensions.Hosting;

namespace ApiServer.Authorization.Node;

/// <summary>What the Node authorizer needs to know about a pod: where it runs and what it refers to.</summary>
internal sealed record PodReferences(
    string NodeName,
    string ServiceAccount,
    IReadOnlySet<string> Secrets,
    IReadOnlySet<string> ConfigMaps,
    IReadOnlySet<string> Claims,
    IReadOnlySet<string> ResourceClaims)
{
    public static PodReferences Parse(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var configMaps = new HashSet<string>(StringComparer.Ordinal);
        var claims = new HashSet<string>(StringComparer.Ordinal);
        var resourceClaims = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pullSecret in (spec?["imagePullSecrets"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            Add(secrets, pullSecret["name"]);
        }

        foreach (var volume in (spec?["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            Add(secrets, volume["secret"]?["secretName"]);
            Add(configMaps, volume["configMap"]?["name"]);
            Add(claims, volume["persistentVolumeClaim"]?["claimName"]);
            if (volume["ephemeral"] is not null && volume["name"]?.GetValue<string>() is { } volumeName)
            {
                // A generic ephemeral volume's claim is named <pod>-<volume>.
                claims.Add($"{ObjectMeta.Name(pod)}-{volumeName}");
            }

            foreach (var source in (volume["projected"]?["sources"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                Add(secrets, source["secret"]?["name"]);
                Add(configMaps, source["configMap"]?["name"]);
            }

            // Secret references of other volume types (csi, cephfs, rbd, flexVolume, azureFile, ...).
            foreach (var (key, value) in volume)
            {
                if (key is not ("secret" or "configMap" or "projected") && value is JsonObject source)
                {
                    Add(secrets, source["secretRef"]?["name"]);
                    Add(secrets, source["nodePublishSecretRef"]?["name"]);
                    Add(secrets, source["secretName"]);
                }
            }
        }

        foreach (var list in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            foreach (var container in (spec?[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                foreach (var env in (container["env"] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    Add(secrets, env["valueFrom"]?["secretKeyRef"]?["name"]);
                    Add(configMaps, env["valueFrom"]?["configMapKeyRef"]?["name"]);
                }

                foreach (var envFrom in (container["envFrom"] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    Add(secrets, envFrom["secretRef"]?["name"]);
                    Add(configMaps, envFrom["configMapRef"]?["name"]);
                }
            }
        }

        foreach (var claim in (pod["status"]?["resourceClaimStatuses"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            Add(resourceClaims, claim["resourceClaimName"]);
        }

        return new PodReferences(
            spec.GetString("nodeName") ?? "",
            spec.GetString("serviceAccountName") is { Length: > 0 } sa ? sa : "default",
            secrets, configMaps, claims, resourceClaims);
    }

    private static void Add(HashSet<string> set, JsonNode? name)
    {
        if (name.AsString() is { Length: > 0 } text)
        {
            set.Add(text);
        }
    }
}

/// <summary>A persistent volume's claim and the secrets it refers to.</summary>
internal sealed record VolumeReferences(string ClaimNamespace, string ClaimName, IReadOnlySet<(string Namespace, string Name)> Secrets)
{
    public static VolumeReferences Parse(JsonObject pv)
    {
        var spec = pv["spec"] as JsonObject;
        var secrets = new HashSet<(string, string)>();
        foreach (var (_, value) in spec ?? [])
        {
            if (value is not JsonObject source)
            {
                continue;
            }

            foreach (var field in new[] { "secretRef", "nodePublishSecretRef", "nodeStageSecretRef", "nodeExpandSecretRef", "controllerPublishSecretRef", "controllerExpandSecretRef" })
            {
                if (source[field] is JsonObject reference && reference.GetString("name") is { Length: > 0 } name)
                {
                    secrets.Add((reference.GetString("namespace") ?? "", name));
                }
            }
        }

        var claim = spec?["claimRef"] as JsonObject;
        return new VolumeReferences(claim.GetString("namespace") ?? "", claim.GetString("name") ?? "", secrets);
    }
}

/// <summary>
/// The relationships kube's Node authorizer keeps in its graph (plugin/pkg/auth/authorizer/node): pods
/// to the node they are bound to, and from pods the secrets, config maps, persistent volume claims (and
/// their volumes and those volumes' secrets), service accounts and resource claims they use; volume
/// attachments and resource slices to their node. Kept from the registry's watches, as kube keeps it from
/// informers, and asked "is there a path from this object to that node?".
/// </summary>
internal sealed class NodeGraph : BackgroundService
{
    private readonly ObjectInformer<PodReferences> _pods;
    private readonly ObjectInformer<VolumeReferences> _volumes;
    private readonly ObjectInformer<string> _attachments;
    private readonly ObjectInformer<string> _slices;

    private const string User = "node-authorizer";

    private readonly bool _enabled;

    public NodeGraph(Lazy<RegistryCatalog> registry, ApiServer.Options.ApiServerOptions options, ApiServer.Health.BackgroundLoops loops)
    {
        // Only the Node authorization mode asks; without it the watches are not run.
        _enabled = options.Authorization.Has("Node");
        GenericStore Store(string group, string version, string plural) => registry.Value.Find(group, version, plural)
            ?? throw new InvalidOperationException($"{plural} are not served");
        _pods = new("pods", () => Store("", "v1", "pods"), PodReferences.Parse, loops, User);
        _volumes = new("persistentvolumes", () => Store("", "v1", "persistentvolumes"), VolumeReferences.Parse, loops, User);
        _attachments = new("volumeattachments", () => Store("storage.k8s.io", "v1", "volumeattachments"), o => o.GetString("spec", "nodeName") ?? "", loops, User);
        _slices = new("resourceslices", () => Store("resource.k8s.io", "v1", "resourceslices"), o => o.GetString("spec", "nodeName") ?? "", loops, User);
    }

    public bool HasSynced => _pods.HasSynced && _volumes.HasSynced && _attachments.HasSynced && _slices.HasSynced;

    public bool PodOnNode(string node, string ns, string name) => _pods.Get(ns, name)?.NodeName == node;

    public bool SecretUsedOnNode(string node, string ns, string name) =>
        PodsOn(node, ns).Any(p => p.Secrets.Contains(name)) ||
        _volumes.All.Any(v => v.Secrets.Contains((ns, name)) && ClaimUsedOnNode(node, v.ClaimNamespace, v.ClaimName));

    public bool ConfigMapUsedOnNode(string node, string ns, string name) => PodsOn(node, ns).Any(p => p.ConfigMaps.Contains(name));

    public bool ClaimUsedOnNode(string node, string ns, string name) => ns.Length > 0 && PodsOn(node, ns).Any(p => p.Claims.Contains(name));

    public bool VolumeUsedOnNode(string node, string name) => _volumes.Get("", name) is { ClaimName.Length: > 0 } v && ClaimUsedOnNode(node, v.ClaimNamespace, v.ClaimName);

    public bool ServiceAccountUsedOnNode(string node, string ns, string name) => PodsOn(node, ns).Any(p => p.ServiceAccount == name);

    public bool ResourceClaimUsedOnNode(string node, string ns, string name) => PodsOn(node, ns).Any(p => p.ResourceClaims.Contains(name));

    public bool AttachmentOnNode(string node, string name) => _attachments.Get("", name) == node;

    public bool SliceOnNode(string node, string name) => _slices.Get("", name) == node;

    private IEnumerable<PodReferences> PodsOn(string node, string ns) => _pods.List(ns).Where(p => p.NodeName == node);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => !_enabled ? Task.CompletedTask : Task.WhenAll(
        _pods.RunAsync(stoppingToken),
        _volumes.RunAsync(stoppingToken),
        _attachments.RunAsync(stoppingToken),
        _slices.RunAsync(stoppingToken));
}
