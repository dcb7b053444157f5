using ClientTools.Cache;
using ClientTools.Logging;
using ControllerManager.Common;
using ControllerManager.Infrastructure;
using k8s;
using k8s.Models;

namespace ControllerManager.ServiceAccount;

/// <summary>
/// kube's serviceaccounts controller (pkg/controller/serviceaccount): every active namespace has a
/// <c>default</c> ServiceAccount, made again when deleted. Off by default here: the API server builds
/// the same controller in; run this one (--controllers=*,serviceaccount) with the server's turned off
/// (--builtin-controllers without serviceaccount).
/// </summary>
internal sealed class ServiceAccountsController : QueueController
{
    /// <summary>kube's ServiceAccountsToEnsure.</summary>
    public const string DefaultName = "default";

    private readonly SharedIndexInformer<V1Namespace> _namespaces;
    private readonly SharedIndexInformer<V1ServiceAccount> _accounts;
    private readonly IKubernetes _client;

    public ServiceAccountsController(ControllerContext context)
        : base(ControllerNames.ServiceAccount, 1, context.Time)
    {
        _client = context.ClientFor(ControllerNames.ServiceAccount);
        _namespaces = context.Informers.Namespaces();
        _accounts = context.Informers.ServiceAccounts();
        _namespaces.AddEventHandler(new ResourceEventHandler<V1Namespace>
        {
            OnAdd = (ns, _) => Enqueue(ns.Metadata.Name),
            OnUpdate = (_, ns) => Enqueue(ns.Metadata.Name),
        });
        _accounts.AddEventHandler(new ResourceEventHandler<V1ServiceAccount>
        {
            OnDelete = sa =>
            {
                if (sa.Metadata.Name == DefaultName)
                {
                    Enqueue(sa.Metadata.NamespaceProperty);
                }
            },
        });
    }

    /// <summary>syncNamespace: only active namespaces get accounts; one that exists (in the cache) is left alone.</summary>
    public override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Store.Get(key);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || (ns.Status?.Phase ?? "Active") != "Active")
        {
            return;
        }

        if (_accounts.Store.Get(key, DefaultName) is not null)
        {
            return;
        }

        try
        {
            await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
            {
                Metadata = new V1ObjectMeta { Name = DefaultName, NamespaceProperty = key },
            }, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            Klog.Info(2, $"created ServiceAccount {key}/{DefaultName}");
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e) || ApiErrors.IsNamespaceTerminating(e) || ApiErrors.IsNotFound(e))
        {
            // Someone was first, or the namespace is going away.
        }
    }
}
