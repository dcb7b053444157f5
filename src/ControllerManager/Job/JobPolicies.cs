using System.Globalization;
using k8s.Models;

namespace ControllerManager.Job;

/// <summary>A pod failure policy rule that matched a failed pod: its action and kube's message for it.</summary>
internal sealed record PodFailureMatch(string Action, string Message);

/// <summary>
/// kube's Job policies (pkg/controller/job's pod_failure_policy.go, success_policy.go and
/// backoff-limit-per-index): which podFailurePolicy rule a failed pod matches, whether a successPolicy
/// rule is met, and how many times an index has failed.
/// </summary>
internal static class JobPolicies
{
    public const string IndexFailureCountAnnotation = "batch.kubernetes.io/job-index-failure-count";

    /// <summary>
    /// matchPodFailurePolicy: the first rule (in order) whose onExitCodes match a container of the pod
    /// that exited non-zero (init containers first; containerName narrows it), or whose onPodConditions
    /// match one of its conditions. Null when none matches (the failure counts as usual).
    /// </summary>
    public static PodFailureMatch? Match(V1PodFailurePolicy? policy, V1Pod pod)
    {
        if (policy?.Rules is not { Count: > 0 } rules || pod.Status?.Phase != "Failed")
        {
            return null;
        }

        for (var index = 0; index < rules.Count; index++)
        {
            var rule = rules[index];
            if (rule.OnExitCodes is { } exitCodes)
            {
                foreach (var container in (pod.Status.InitContainerStatuses ?? []).Concat(pod.Status.ContainerStatuses ?? []))
                {
                    if (exitCodes.ContainerName is { } only && only != container.Name)
                    {
                        continue;
                    }

                    if (container.State?.Terminated is not { ExitCode: not 0 } terminated)
                    {
                        continue;
                    }

                    var listed = exitCodes.Values?.Contains(terminated.ExitCode) == true;
                    if (exitCodes.OperatorProperty == "In" ? listed : exitCodes.OperatorProperty == "NotIn" && !listed)
                    {
                        return new PodFailureMatch(rule.Action, string.Create(CultureInfo.InvariantCulture,
                            $"Container {container.Name} for pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} failed with exit code {terminated.ExitCode} matching {rule.Action} rule at index {index}"));
                    }
                }
            }

            foreach (var pattern in rule.OnPodConditions ?? [])
            {
                var condition = pod.Status.Conditions?.FirstOrDefault(c => c.Type == pattern.Type && c.Status == (pattern.Status ?? "True"));
                if (condition is not null)
                {
                    return new PodFailureMatch(rule.Action, string.Create(CultureInfo.InvariantCulture,
                        $"Pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} has condition {condition.Type} matching {rule.Action} rule at index {index}"));
                }
            }
        }

        return null;
    }

    /// <summary>
    /// matchSuccessPolicy: the first rule met by the succeeded indexes — all of succeededIndexes, or
    /// succeededCount of them (of all indexes without succeededIndexes) — and kube's message.
    /// </summary>
    public static string? MatchSuccessPolicy(V1SuccessPolicy? policy, int completions, IReadOnlySet<int> succeeded)
    {
        for (var index = 0; index < (policy?.Rules?.Count ?? 0); index++)
        {
            var rule = policy!.Rules[index];
            int have, need;
            if (rule.SucceededIndexes is { } text)
            {
                var wanted = JobPlanner.ParseIndexes(text).Where(i => i < completions).ToList();
                have = wanted.Count(succeeded.Contains);
                need = rule.SucceededCount ?? wanted.Count;
            }
            else
            {
                have = succeeded.Count;
                need = rule.SucceededCount ?? int.MaxValue;
            }

            if (have >= need)
            {
                return $"Matched rules at index {index}";
            }
        }

        return null;
    }

    /// <summary>The failures an index had before this pod was made (the annotation kube puts on a replacement).</summary>
    public static int PreviousFailures(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(IndexFailureCountAnnotation, out var text) == true
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
