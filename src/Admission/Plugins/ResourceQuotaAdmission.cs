using System.Text.Json.Nodes;
using Admission.Quota;
using ApiMachinery.Errors;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>
/// kube-apiserver's ResourceQuota plugin (k8s.io/apiserver pkg/admission/plugin/resourcequota), the
/// last validating step: charges what a create (or a growing update) uses to every matching quota of
/// the namespace, refusing it with "exceeded quota" when a hard limit would be passed. The charge is
/// written to each quota's status.used conditional on the resourceVersion read, and re-evaluated on a
/// conflict, so concurrent requests never admit more than a quota allows.
/// </summary>
public sealed class ResourceQuotaAdmission(IAdmissionObjects objects) : IValidatingAdmissionPlugin
{
    private const int MaxAttempts = 50;

    public string Name => AdmissionPlugins.ResourceQuota;

    public bool Handles(AdmissionOperation operation) => operation is AdmissionOperation.Create or AdmissionOperation.Update;

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken cancellationToken)
    {
        if (a.Subresource.Length > 0 || a.Namespace.Length == 0 || a.Object is not { } obj)
        {
            return;
        }

        var isPod = a.Group.Length == 0 && a.Resource == "pods";
        if (a.Operation == AdmissionOperation.Update && !(a.Group.Length == 0 && a.Resource is "services" or "persistentvolumeclaims"))
        {
            // Only services and claims can use more after they exist; pods' resources are fixed.
            return;
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var quotas = await objects.ListAsync("", "resourcequotas", a.Namespace, cancellationToken).ConfigureAwait(false);
            if (quotas.Count == 0)
            {
                return;
            }

            var usage = QuotaEvaluator.Usage(a.Group, a.Resource, obj);
            if (a.Operation == AdmissionOperation.Update && a.OldObject is { } old)
            {
                var previous = QuotaEvaluator.Usage(a.Group, a.Resource, old);
                usage = usage.ToDictionary(p => p.Key, p => p.Value - previous.GetValueOrDefault(p.Key, Quantity.Zero) is { Value: > 0 } d ? d : Quantity.Zero, StringComparer.Ordinal);
            }

            var charges = new List<(JsonObject Quota, Dictionary<string, Quantity> Used)>();
            foreach (var quota in quotas)
            {
                if (!QuotaEvaluator.Matches(quota, a.Group, a.Resource, obj))
                {
                    continue;
                }

                var quotaName = quota["metadata"].GetString("name") ?? "";
                var hard = QuotaEvaluator.ResourceList(quota["status"]?["hard"]);
                var used = QuotaEvaluator.ResourceList(quota["status"]?["used"]);
                var restricted = hard.Keys.Where(k => Covers(a.Group, a.Resource, k)).Order(StringComparer.Ordinal).ToArray();
                if (restricted.Length == 0)
                {
                    continue;
                }

                if (isPod && a.Operation == AdmissionOperation.Create && MissingCompute(obj, restricted) is { Length: > 0 } missing)
                {
                    throw Forbidden(a, $"failed quota: {quotaName}: must specify {missing}");
                }

                if (restricted.Any(r => !used.ContainsKey(r)))
                {
                    throw Forbidden(a, $"status unknown for quota: {quotaName}, resources: {string.Join(",", restricted)}");
                }

                var requested = usage.Where(p => hard.ContainsKey(p.Key) && !p.Value.IsZero).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                if (requested.Count == 0)
                {
                    continue;
                }

                var exceeded = requested.Keys
                    .Where(k => used.GetValueOrDefault(k, Quantity.Zero) + requested[k] > hard[k])
                    .ToHashSet(StringComparer.Ordinal);
                if (exceeded.Count > 0)
                {
                    throw Forbidden(a,
                        $"exceeded quota: {quotaName}, requested: {QuotaEvaluator.PrettyPrint(requested.Where(p => exceeded.Contains(p.Key)))}, "
                        + $"used: {QuotaEvaluator.PrettyPrint(used.Where(p => exceeded.Contains(p.Key)))}, "
                        + $"limited: {QuotaEvaluator.PrettyPrint(hard.Where(p => exceeded.Contains(p.Key)))}");
                }

                var newUsed = new Dictionary<string, Quantity>(used, StringComparer.Ordinal);
                foreach (var (k, v) in requested)
                {
                    newUsed[k] = newUsed.TryGetValue(k, out var u) ? u + v : v;
                }

                charges.Add((quota, newUsed));
            }

            // A dry run is checked against quota but charges nothing.
            if (charges.Count == 0 || a.DryRun)
            {
                return;
            }

            var conflict = false;
            foreach (var (quota, newUsed) in charges)
            {
                var updated = (JsonObject)quota.DeepClone();
                PodJson.Child(updated, "status")["used"] = QuotaEvaluator.ToJson(newUsed);
                if (await objects.TryUpdateStatusAsync("", "resourcequotas", updated, cancellationToken).ConfigureAwait(false) is null)
                {
                    conflict = true;
                    break;
                }
            }

            if (!conflict)
            {
                return;
            }

            // Someone else charged the quota meanwhile: evaluate again against what they left.
            await Task.Delay(Random.Shared.Next(1, 5 + attempt), cancellationToken).ConfigureAwait(false);
        }

        throw StatusException.NewInternalError("resource quota evaluation timed out");
    }

    /// <summary>Whether a quota's hard name is something objects of this resource use.</summary>
    private static bool Covers(string group, string resource, string name)
    {
        if (name == QuotaEvaluator.CountName(group, resource) || (group.Length == 0 && name == resource))
        {
            return true;
        }

        if (group.Length != 0)
        {
            return false;
        }

        return resource switch
        {
            "pods" => !name.StartsWith("count/", StringComparison.Ordinal) && !name.StartsWith("services.", StringComparison.Ordinal)
                && name is not ("services" or "replicationcontrollers" or "resourcequotas" or "secrets" or "configmaps" or "persistentvolumeclaims" or "requests.storage")
                && !name.Contains(".storageclass.storage.k8s.io/", StringComparison.Ordinal),
            "services" => name.StartsWith("services.", StringComparison.Ordinal),
            "persistentvolumeclaims" => name == "requests.storage" || name.Contains(".storageclass.storage.k8s.io/", StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>
    /// A quota on requests or limits of cpu or memory requires every container to state them
    /// (kube's pod evaluator Constraints); returns the missing ones as kube words them.
    /// </summary>
    private static string MissingCompute(JsonObject pod, string[] restricted)
    {
        var parts = new List<string>();
        var spec = PodJson.Spec(pod);
        foreach (var (name, kind, resource) in new[]
        {
            ("limits.cpu", "limits", "cpu"), ("limits.memory", "limits", "memory"),
            ("requests.cpu", "requests", "cpu"), ("requests.memory", "requests", "memory"),
            ("cpu", "requests", "cpu"), ("memory", "requests", "memory"),
        })
        {
            if (!restricted.Contains(name))
            {
                continue;
            }

            var lacking = PodJson.Containers(spec)
                .Where(c => c["resources"]?[kind]?[resource] is null)
                .Select(c => c.GetString("name") ?? "")
                .ToArray();
            if (lacking.Length > 0 && !parts.Any(p => p.StartsWith($"{kind}.{resource} ", StringComparison.Ordinal)))
            {
                parts.Add($"{kind}.{resource} for: {string.Join(",", lacking)}");
            }
        }

        return string.Join("; ", parts);
    }

    private static StatusException Forbidden(AdmissionAttributes a, string reason) =>
        StatusException.NewForbidden(a.Group, a.Resource, a.Name, reason);
}
