using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.RootCaPublisher;

/// <summary>
/// kube's root CA certificate publisher (pkg/controller/certificates/rootcacertpublisher): every
/// namespace has a ConfigMap kube-root-ca.crt whose ca.crt is the cluster's CA bundle (--root-ca-file),
/// which pods use to verify the API server; it is made again when deleted and put back when changed.
/// </summary>
internal sealed class RootCaPublisher : QueueController
{
    public const string ConfigMapName = "kube-root-ca.crt";
    public const string DataKey = "ca.crt";
    public const string DescriptionAnnotation = "kubernetes.io/description";

    /// <summary>Our own wording of what the ConfigMap is for.</summary>
    public const string Description = "The CA bundle of this cluster's API server, for clients in pods to verify it (at kubernetes.default.svc or the service IP).";

    private readonly SharedIndexInformer<V1Namespace> _namespaces;
    private readonly SharedIndexInformer<V1ConfigMap> _configMaps;
    private readonly IKubernetes _client;
    private readonly string _rootCa;

    public RootCaPublisher(ControllerContext context, string rootCa)
        : base(ControllerNames.RootCaPublisher, 5, context.Time)
    {
        _rootCa = rootCa;
        _client = context.ClientFor(ControllerNames.RootCaPublisher);
        _namespaces = context.Informers.Namespaces();
        _configMaps = context.Informers.ConfigMaps();
        _namespaces.AddEventHandler(new ResourceEventHandler<V1Namespace>
        {
            OnAdd = (n, _) => Enqueue(n.Metadata.Name),
            OnUpdate = (_, n) => Enqueue(n.Metadata.Name),
        });
        _configMaps.AddEventHandler(new ResourceEventHandler<V1ConfigMap>
        {
            OnUpdate = (_, c) => ConfigMapChanged(c),
            OnDelete = ConfigMapChanged,
        });
    }

    private void ConfigMapChanged(V1ConfigMap configMap)
    {
        if (configMap.Metadata.Name == ConfigMapName)
        {
            Enqueue(configMap.Metadata.NamespaceProperty);
        }
    }

    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Store.Get(key);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating")
        {
            return;
        }

        var current = _configMaps.Store.Get(key, ConfigMapName);
        try
        {
            if (current is null)
            {
                await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
                {
                    ApiVersion = "v1",
                    Kind = "ConfigMap",
                    Metadata = new V1ObjectMeta { Name = ConfigMapName, Annotations = new Dictionary<string, string> { [DescriptionAnnotation] = Description } },
                    Data = new Dictionary<string, string> { [DataKey] = _rootCa },
                }, key, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            if (current.Data?.Count == 1 && current.Data.TryGetValue(DataKey, out var data) && data == _rootCa
                && current.Metadata.Annotations?.TryGetValue(DescriptionAnnotation, out var description) == true && description == Description)
            {
                return;
            }

            var updated = ObjectCopy.Clone(current);
            updated.Data = new Dictionary<string, string> { [DataKey] = _rootCa };
            updated.BinaryData = null;
            updated.Metadata.Annotations ??= new Dictionary<string, string>();
            updated.Metadata.Annotations[DescriptionAnnotation] = Description;
            await _client.CoreV1.ReplaceNamespacedConfigMapAsync(updated, ConfigMapName, key, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNamespaceTerminating(e) || ApiErrors.IsNotFound(e))
        {
            Klog.Info(4, $"{ConfigMapName} not published in namespace {key}: {ApiErrors.Message(e)}");
        }
    }
}
