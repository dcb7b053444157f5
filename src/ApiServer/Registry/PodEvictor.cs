using System.Text.Json.Nodes;
using Admission;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Selectors;

namespace ApiServer.Registry;

/// <summary>
/// POST pods/{name}/eviction (kube's pkg/registry/core/pod/storage/eviction.go): a pod that has
/// already disrupted its application (finished, pending or terminating) is deleted at once; otherwise
/// the PodDisruptionBudget that selects it must allow a disruption, which the eviction spends
/// (status.disruptionsAllowed - 1, the pod in status.disruptedPods) before the pod gets its
/// DisruptionTarget condition and is deleted. A budget that allows none answers 429 TooManyRequests,
/// so that clients such as <c>kubectl drain</c> retry.
/// </summary>
internal sealed class PodEvictor(RegistryCatalog registry, AdmissionChain admission, TimeProvider time)
{
    /// <summary>kube's MaxDisruptedPodSize: evictions the disruption controller has not yet seen.</summary>
    private const int MaxDisruptedPods = 2000;

    /// <summary>kube retries a conflicting pod read-delete up to 20 times (EvictionsRetry).</summary>
    private const int Attempts = 20;

    private const string TooManyRequestsMessage = "Cannot evict pod as it would violate the pod's disruption budget.";

    /// <returns>the Status kube's EvictionREST answers (Success, or the one failure it returns as an object).</returns>
    public async Task<ApiStatus> EvictAsync(RequestScope scope, string ns, string podName, JsonObject eviction, DeleteOptions options, CancellationToken cancellationToken)
    {
        if (ObjectMeta.Name(eviction) != podName)
        {
            throw StatusException.NewBadRequest("name in URL does not match name in Eviction object");
        }

        var pods = registry.Find("", "v1", "pods") ?? throw new InvalidOperationException("pods are not served");
        await admission.ValidateAsync(new AdmissionAttributes
        {
            Operation = AdmissionOperation.Create,
            Group = "",
            Version = "v1",
            Kind = "Eviction",
            Resource = "pods",
            Subresource = "eviction",
            Namespace = ns,
            Name = podName,
            Object = eviction,
            UserInfo = scope.User,
            DryRun = scope.DryRun,
            AddWarning = scope.Warn ?? (_ => { }),
        }, cancellationToken).ConfigureAwait(false);

        // A precondition the client gave is theirs to honour; conflicts are retried only without one.
        var retryConflicts = options.PreconditionResourceVersion is null;
        JsonObject pod;
        for (var attempt = 1; ; attempt++)
        {
            pod = await pods.GetAsync(ns, podName, cancellationToken).ConfigureAwait(false);
            if (!CanIgnoreBudget(pod))
            {
                break;
            }

            var deleteOptions = options;
            if (EnforcesResourceVersion(pod) && options.PreconditionResourceVersion is null)
            {
                deleteOptions = options with { PreconditionResourceVersion = ObjectMeta.ResourceVersion(pod) };
            }

            try
            {
                await AddConditionAndDeleteAsync(scope, pods, ns, podName, deleteOptions, cancellationToken).ConfigureAwait(false);
                return Success();
            }
            catch (StatusException e) when (e.Reason == StatusReasons.Conflict && retryConflicts && attempt < Attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(450, 550)), time, cancellationToken).ConfigureAwait(false);
            }
        }

        var budgets = await BudgetsOfAsync(pod, cancellationToken).ConfigureAwait(false);
        if (budgets.Count > 1)
        {
            return new ApiStatus
            {
                Status = ApiStatus.StatusFailure,
                Message = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                Code = 500,
            };
        }

        var mustNotChange = false;
        string? budgetName = null;
        if (budgets.Count == 1)
        {
            var budget = budgets[0];
            budgetName = ObjectMeta.Name(budget);
            var status = budget["status"] as JsonObject;
            if (!IsReady(pod) && (budget.GetString("spec", "unhealthyPodEvictionPolicy") == "AlwaysAllow"
                || (Int(status, "currentHealthy") >= Int(status, "desiredHealthy") && Int(status, "desiredHealthy") > 0)))
            {
                // An unready pod does not count towards the budget: delete it, as long as it stays unready.
                mustNotChange = true;
            }
            else
            {
                await CheckAndDecrementAsync(scope, ns, podName, budgetName, cancellationToken).ConfigureAwait(false);
            }
        }

        var finalOptions = mustNotChange ? options with { PreconditionResourceVersion = ObjectMeta.ResourceVersion(pod) } : options;
        try
        {
            await AddConditionAndDeleteAsync(scope, pods, ns, podName, finalOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Reason == StatusReasons.Conflict && mustNotChange && options.PreconditionResourceVersion is null)
        {
            // The pod changed (it may have become ready) since the budget was read: let the client retry.
            throw StillProcessing(budgetName!);
        }

        return Success();
    }

    private static ApiStatus Success() => new() { Status = ApiStatus.StatusSuccess, Code = 201 };

    /// <summary>canIgnorePDB: finished, pending and terminating pods have disrupted nothing that a budget protects.</summary>
    private static bool CanIgnoreBudget(JsonObject pod) =>
        Phase(pod) is "Succeeded" or "Failed" or "Pending" || ObjectMeta.DeletionTimestamp(pod).Length > 0;

    /// <summary>shouldEnforceResourceVersion: a running pod must not become ready between the check and the delete.</summary>
    private static bool EnforcesResourceVersion(JsonObject pod) =>
        Phase(pod) is not ("Succeeded" or "Failed") && ObjectMeta.DeletionTimestamp(pod).Length == 0;

    private static string Phase(JsonObject pod) => pod.GetString("status", "phase") ?? "";

    private static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => c.GetString("type") == "Ready" && c.GetString("status") == "True");

    private static long Int(JsonObject? obj, string field) =>
        obj?[field] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    /// <summary>The budgets in the pod's namespace whose (non-empty, valid) selector matches its labels.</summary>
    private async Task<List<JsonObject>> BudgetsOfAsync(JsonObject pod, CancellationToken cancellationToken)
    {
        var store = registry.Find("policy", "v1", "poddisruptionbudgets") ?? throw new InvalidOperationException("poddisruptionbudgets are not served");
        var list = await store.ListAsync(ObjectMeta.Namespace(pod), new ListQuery(null, null), cancellationToken).ConfigureAwait(false);
        var labels = ObjectMeta.Labels(pod);
        var matching = new List<JsonObject>();
        foreach (var budget in list.Items)
        {
            LabelSelector selector;
            try
            {
                selector = LabelSelector.FromLabelSelectorJson(budget["spec"]?["selector"] as JsonObject);
            }
            catch (SelectorParseException)
            {
                continue;
            }

            // A budget with an empty selector matches nothing here, not everything.
            if (!selector.IsEmpty && selector.Matches(labels))
            {
                matching.Add(budget);
            }
        }

        return matching;
    }

    /// <summary>
    /// checkAndDecrement, inside the budget's status read-modify-write (a lost race re-checks the fresh
    /// budget): the disruption controller must have seen the budget's generation, and it must allow one.
    /// </summary>
    private async Task CheckAndDecrementAsync(RequestScope scope, string ns, string podName, string budgetName, CancellationToken cancellationToken)
    {
        var store = registry.Find("policy", "v1", "poddisruptionbudgets")!;
        JsonObject Decrement(JsonObject budget)
        {
            var status = budget["status"] as JsonObject ?? [];
            budget["status"] = status;
            var generation = budget["metadata"]?["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 0;
            if (Int(status, "observedGeneration") < generation)
            {
                throw StillProcessing(budgetName);
            }

            var allowed = Int(status, "disruptionsAllowed");
            if (allowed < 0)
            {
                throw StatusException.NewForbidden("policy", "poddisruptionbudget", budgetName, "pdb disruptions allowed is negative");
            }

            if ((status["disruptedPods"] as JsonObject)?.Count > MaxDisruptedPods)
            {
                throw StatusException.NewForbidden("policy", "poddisruptionbudget", budgetName, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
            }

            if (allowed == 0)
            {
                throw TooManyRequests(0, $"The disruption budget {budgetName} needs {Int(status, "desiredHealthy")} healthy pods and has {Int(status, "currentHealthy")} currently");
            }

            status["disruptionsAllowed"] = allowed - 1;
            if (allowed - 1 == 0)
            {
                SetDisruptionAllowedCondition(status);
            }

            if (!scope.DryRun)
            {
                var disrupted = status["disruptedPods"] as JsonObject ?? [];
                status["disruptedPods"] = disrupted;
                disrupted[podName] = ObjectMeta.FormatTime(time.GetUtcNow());
            }

            return budget;
        }

        if (scope.DryRun)
        {
            // A dry run checks the budget and writes nothing.
            Decrement(await store.GetAsync(ns, budgetName, cancellationToken).ConfigureAwait(false));
            return;
        }

        // The server's own write of the budget's status, as kube's eviction REST does through its loopback client.
        await store.ApplyUpdateAsync(RequestScope.Loopback, ns, budgetName, "status", Decrement, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>pdbhelper.UpdateDisruptionAllowedCondition for a budget that allows no more disruptions.</summary>
    private void SetDisruptionAllowedCondition(JsonObject status)
    {
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var condition = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == "DisruptionAllowed");
        if (condition is null)
        {
            condition = new JsonObject { ["type"] = "DisruptionAllowed" };
            conditions.Add(condition);
        }

        if (condition.GetString("status") != "False" || (condition.GetString("lastTransitionTime") ?? "").Length == 0)
        {
            condition["lastTransitionTime"] = ObjectMeta.FormatTime(time.GetUtcNow());
        }

        condition["status"] = "False";
        condition["reason"] = "InsufficientPods";
        condition["message"] ??= "";
        condition["observedGeneration"] = Int(status, "observedGeneration");
    }

    /// <summary>
    /// addConditionAndDeletePod: the pod's status says why it goes (DisruptionTarget, by the Eviction
    /// API), then it is deleted with the eviction's options; a dry run only deletes, dryly.
    /// </summary>
    private async Task AddConditionAndDeleteAsync(RequestScope scope, GenericStore pods, string ns, string podName, DeleteOptions options, CancellationToken cancellationToken)
    {
        if (!scope.DryRun)
        {
            var updated = await pods.ApplyUpdateAsync(scope, ns, podName, "status", current =>
            {
                if (options.PreconditionUid is { } uid && uid != ObjectMeta.Uid(current))
                {
                    throw StatusException.NewConflict("", "Pod", podName,
                        $"the UID in the precondition ({uid}) does not match the UID in record ({ObjectMeta.Uid(current)}). The object might have been deleted and then recreated");
                }

                if (options.PreconditionResourceVersion is { } rv && rv != ObjectMeta.ResourceVersion(current))
                {
                    throw StatusException.NewConflict("", "Pod", podName,
                        $"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({ObjectMeta.ResourceVersion(current)}). The object might have been modified");
                }

                SetDisruptionTarget(current);
                return current;
            }, cancellationToken).ConfigureAwait(false);
            if (options.PreconditionResourceVersion is not null)
            {
                // Our own update moved the version the precondition names.
                options = options with { PreconditionResourceVersion = ObjectMeta.ResourceVersion(updated) };
            }
        }

        await pods.DeleteAsync(scope, ns, podName, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>podutil.UpdatePodCondition with DisruptionTarget=True, reason EvictionByEvictionAPI.</summary>
    private void SetDisruptionTarget(JsonObject pod)
    {
        var status = pod["status"] as JsonObject ?? [];
        pod["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var condition = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == "DisruptionTarget");
        var now = ObjectMeta.FormatTime(time.GetUtcNow());
        if (condition is null)
        {
            condition = new JsonObject { ["type"] = "DisruptionTarget" };
            conditions.Add(condition);
        }

        if (condition.GetString("status") != "True")
        {
            condition["lastTransitionTime"] = now;
        }

        condition["status"] = "True";
        condition["reason"] = "EvictionByEvictionAPI";
        condition["message"] = "Eviction API: evicting";
    }

    private static StatusException StillProcessing(string budgetName) =>
        TooManyRequests(10, $"The disruption budget {budgetName} is still being processed by the server.");

    /// <summary>errors.NewTooManyRequests with a DisruptionBudget cause, as kube's eviction answers.</summary>
    private static StatusException TooManyRequests(int retryAfterSeconds, string cause) =>
        new(StatusException.NewTooManyRequests(TooManyRequestsMessage, retryAfterSeconds).Status with
        {
            Details = new StatusDetails { RetryAfterSeconds = retryAfterSeconds, Causes = [new StatusCause("DisruptionBudget", cause)] },
        });
}
