using System.Globalization;
using ControllerManager.Common;
using ControllerManager.Deployment;
using ControllerManager.NodeLifecycle;
using k8s.Models;

namespace ControllerManager.DaemonSet;

/// <summary>
/// The DaemonSet controller's decisions as pure functions of the DaemonSet, the nodes and its pods
/// (kube's pkg/controller/daemon and daemon/util): which nodes should run a daemon pod, what each node
/// needs (a pod, or pods deleted), the pods a rolling update replaces, and the status counts.
/// </summary>
internal static class DaemonSetPlan
{
    /// <summary>apps.DeprecatedTemplateGeneration: the server counts template changes here.</summary>
    public const string TemplateGenerationAnnotation = "deprecated.daemonset.template.generation";

    /// <summary>extensions.DaemonSetTemplateGenerationKey: the template generation a pod was made from.</summary>
    public const string TemplateGenerationLabel = "pod-template-generation";

    /// <summary>
    /// The tolerations every daemon pod gets (util.AddOrUpdateDaemonPodTolerations): node problems never
    /// evict it (not-ready/unreachable NoExecute), the node-condition taints and cordoning never keep it
    /// off its node, and a host-network pod runs before the node's network is up.
    /// </summary>
    public static IReadOnlyList<V1Toleration> DaemonTolerations(bool hostNetwork)
    {
        var tolerations = new List<V1Toleration>
        {
            new() { Key = Taints.NotReady, OperatorProperty = "Exists", Effect = Taints.NoExecute },
            new() { Key = Taints.Unreachable, OperatorProperty = "Exists", Effect = Taints.NoExecute },
            new() { Key = "node.kubernetes.io/disk-pressure", OperatorProperty = "Exists", Effect = Taints.NoSchedule },
            new() { Key = "node.kubernetes.io/memory-pressure", OperatorProperty = "Exists", Effect = Taints.NoSchedule },
            new() { Key = "node.kubernetes.io/pid-pressure", OperatorProperty = "Exists", Effect = Taints.NoSchedule },
            new() { Key = Taints.Unschedulable, OperatorProperty = "Exists", Effect = Taints.NoSchedule },
        };
        if (hostNetwork)
        {
            tolerations.Add(new V1Toleration { Key = "node.kubernetes.io/network-unavailable", OperatorProperty = "Exists", Effect = Taints.NoSchedule });
        }

        return tolerations;
    }

    /// <summary>Adds the daemon tolerations to <paramref name="spec"/> (v1helper.AddOrUpdateTolerationInPodSpec: one that matches key, operator, value and effect is replaced).</summary>
    public static void AddDaemonTolerations(V1PodSpec spec)
    {
        var tolerations = (spec.Tolerations ?? []).ToList();
        foreach (var add in DaemonTolerations(spec.HostNetwork == true))
        {
            var index = tolerations.FindIndex(t => t.Key == add.Key && (t.OperatorProperty ?? "Equal") == add.OperatorProperty
                && (t.Value ?? "") == (add.Value ?? "") && (t.Effect ?? "") == add.Effect);
            if (index >= 0)
            {
                tolerations[index] = add;
            }
            else
            {
                tolerations.Add(add);
            }
        }

        spec.Tolerations = tolerations;
    }

    /// <summary>
    /// NodeShouldRunDaemonPod: ShouldRun when a new daemon pod belongs on the node (name, selector and
    /// affinity match, every NoSchedule/NoExecute taint tolerated); ShouldContinueRunning when an
    /// existing one may stay (it matches and only NoSchedule taints are untolerated).
    /// </summary>
    public static (bool ShouldRun, bool ShouldContinueRunning) NodeShouldRun(V1DaemonSet ds, V1Node node)
    {
        var templateSpec = ds.Spec.Template?.Spec ?? new V1PodSpec();
        if (!string.IsNullOrEmpty(templateSpec.NodeName) && templateSpec.NodeName != node.Metadata.Name)
        {
            return (false, false);
        }

        if (!NodeSelectors.PodMatchesNode(templateSpec, node))
        {
            return (false, false);
        }

        var spec = new V1PodSpec { Tolerations = templateSpec.Tolerations, HostNetwork = templateSpec.HostNetwork };
        AddDaemonTolerations(spec);
        var taints = node.Spec?.Taints ?? [];
        bool Untolerated(V1Taint t) => !spec.Tolerations.Any(tol => Tolerations.Tolerates(tol, t));
        if (taints.Any(t => t.Effect is Taints.NoSchedule or Taints.NoExecute && Untolerated(t)))
        {
            return (false, !taints.Any(t => t.Effect == Taints.NoExecute && Untolerated(t)));
        }

        return (true, true);
    }

    /// <summary>
    /// util.ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity becomes the one term
    /// "metadata.name In [node]", so the scheduler binds it there (the node already matched the rest).
    /// </summary>
    public static V1Affinity ReplaceNodeAffinity(V1Affinity? affinity, string nodeName)
    {
        var selector = new V1NodeSelector
        {
            NodeSelectorTerms = [new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = NodeSelectors.NameField, OperatorProperty = "In", Values = [nodeName] }] }],
        };
        affinity ??= new V1Affinity();
        affinity.NodeAffinity ??= new V1NodeAffinity();
        affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = selector;
        return affinity;
    }

    /// <summary>util.GetTargetNodeName: spec.nodeName, else the node a pending daemon pod's matchFields names; null if neither.</summary>
    public static string? TargetNodeName(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod.Spec.NodeName;
        }

        foreach (var term in pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms ?? [])
        {
            foreach (var field in term.MatchFields ?? [])
            {
                if (field.Key == NodeSelectors.NameField && field.OperatorProperty == "In")
                {
                    return field.Values?.Count == 1 ? field.Values[0] : null;
                }
            }
        }

        return null;
    }

    public static long? TemplateGeneration(V1DaemonSet ds) =>
        ds.Metadata.Annotations?.TryGetValue(TemplateGenerationAnnotation, out var text) == true
        && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var generation) ? generation : null;

    /// <summary>
    /// util.IsPodUpdated: the pod carries the current revision's hash. (kube also compares the
    /// pod-template-generation label, but formats a pointer there, so in practice only the hash decides.)
    /// </summary>
    public static bool IsUpdated(V1Pod pod, string hash) =>
        hash.Length > 0 && pod.Metadata.Labels?.TryGetValue(ControllerRevisions.ControllerRevisionHashLabel, out var h) == true && h == hash;

    /// <summary>util.CreatePodTemplate: the template with the daemon tolerations and the generation and revision labels.</summary>
    public static V1PodTemplateSpec PodTemplate(V1DaemonSet ds, string hash)
    {
        var template = ObjectCopy.Clone(ds.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Spec ??= new V1PodSpec();
        AddDaemonTolerations(template.Spec);
        var labels = new Dictionary<string, string>(template.Metadata.Labels ?? new Dictionary<string, string>());
        if (TemplateGeneration(ds) is { } generation)
        {
            labels[TemplateGenerationLabel] = generation.ToString(CultureInfo.InvariantCulture);
        }

        if (hash.Length > 0)
        {
            labels[ControllerRevisions.ControllerRevisionHashLabel] = hash;
        }

        template.Metadata.Labels = labels;
        return template;
    }

    /// <summary>Whether more than one pod per node is allowed during an update (util.AllowsSurge).</summary>
    public static bool AllowsSurge(V1DaemonSet ds) => SurgeCount(ds, 1) > 0;

    public static int SurgeCount(V1DaemonSet ds, int numberToSchedule) =>
        ds.Spec.UpdateStrategy?.Type is "RollingUpdate" or null && ds.Spec.UpdateStrategy?.RollingUpdate?.MaxSurge is { } surge
            ? DeploymentUtil.Scaled(surge, numberToSchedule, roundUp: true, "0")
            : 0;

    public static int UnavailableCount(V1DaemonSet ds, int numberToSchedule) =>
        ds.Spec.UpdateStrategy?.Type is "RollingUpdate" or null && ds.Spec.UpdateStrategy?.RollingUpdate is { } rolling
            ? DeploymentUtil.Scaled(rolling.MaxUnavailable, numberToSchedule, roundUp: true, "1")
            : 0;

    /// <summary>podByCreationTimestampAndPhase: scheduled pods first, then oldest, then by name.</summary>
    public static List<V1Pod> ByCreationAndPhase(IEnumerable<V1Pod> pods) =>
        [.. pods.OrderBy(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? 1 : 0)
            .ThenBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>What one node needs (podsShouldBeOnNode): a new pod, and the pods to delete (failed ones separately, for their backoff).</summary>
    public sealed record NodeWork(bool NeedsPod, List<V1Pod> Delete, List<V1Pod> Failed, List<V1Pod> Succeeded);

    public static NodeWork PodsShouldBeOnNode(V1DaemonSet ds, V1Node node, IReadOnlyList<V1Pod> daemonPods, string hash, DateTime now)
    {
        var (shouldRun, shouldContinueRunning) = NodeShouldRun(ds, node);
        var work = new NodeWork(false, [], [], []);
        var exists = daemonPods.Count > 0;
        if (shouldRun && !exists)
        {
            return work with { NeedsPod = true };
        }

        if (shouldContinueRunning)
        {
            var running = new List<V1Pod>();
            foreach (var pod in daemonPods)
            {
                if (pod.Metadata.DeletionTimestamp is not null)
                {
                    continue;
                }

                switch (pod.Status?.Phase)
                {
                    case "Failed":
                        work.Failed.Add(pod);
                        break;
                    case "Succeeded":
                        work.Succeeded.Add(pod);
                        break;
                    default:
                        running.Add(pod);
                        break;
                }
            }

            if (!AllowsSurge(ds))
            {
                // More than one running pod: keep the oldest.
                work.Delete.AddRange(ByCreationAndPhase(running).Skip(1));
                return work;
            }

            if (running.Count <= 1)
            {
                return running.Count == 0 && shouldRun ? work with { NeedsPod = true } : work;
            }

            // Surging: keep the oldest pod of the current revision and the oldest older one; the old one
            // goes too once it is not ready or the new one is available.
            V1Pod? oldestNew = null, oldestOld = null;
            foreach (var pod in ByCreationAndPhase(running))
            {
                if (IsUpdated(pod, hash))
                {
                    if (oldestNew is null)
                    {
                        oldestNew = pod;
                        continue;
                    }
                }
                else if (oldestOld is null)
                {
                    oldestOld = pod;
                    continue;
                }

                work.Delete.Add(pod);
            }

            if (oldestNew is not null && oldestOld is not null
                && (!Pods.IsReady(oldestOld) || Pods.IsAvailable(oldestNew, ds.Spec.MinReadySeconds ?? 0, now)))
            {
                work.Delete.Add(oldestOld);
            }

            return work;
        }

        if (exists)
        {
            work.Delete.AddRange(daemonPods.Where(p => p.Metadata.DeletionTimestamp is null));
        }

        return work;
    }

    /// <summary>findUpdatedPodsOnNode: the node's one new and one old pod; not ok when it has more of either.</summary>
    public static (V1Pod? New, V1Pod? Old, bool Ok) UpdatedPodsOnNode(IEnumerable<V1Pod> pods, string hash)
    {
        V1Pod? newPod = null, oldPod = null;
        foreach (var pod in pods.Where(p => p.Metadata.DeletionTimestamp is null))
        {
            if (IsUpdated(pod, hash))
            {
                if (newPod is not null)
                {
                    return (null, null, false);
                }

                newPod = pod;
            }
            else
            {
                if (oldPod is not null)
                {
                    return (null, null, false);
                }

                oldPod = pod;
            }
        }

        return (newPod, oldPod, true);
    }

    /// <summary>
    /// kube's rollingUpdate: without surge, delete old pods while at most maxUnavailable desired nodes are
    /// unavailable (unavailable old pods always go) and let the manage loop create their replacements;
    /// with surge, start new pods beside old ones on up to maxSurge nodes and delete each old pod once its
    /// replacement is available.
    /// </summary>
    public static (List<string> Delete, List<string> CreateOn) RollingUpdate(
        V1DaemonSet ds, IReadOnlyList<V1Node> nodes, IReadOnlyDictionary<string, List<V1Pod>> nodeToPods, string hash, DateTime now)
    {
        var minReady = ds.Spec.MinReadySeconds ?? 0;
        var byNode = nodeToPods.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var nodesByName = nodes.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var desired = 0;
        foreach (var node in nodes)
        {
            if (!NodeShouldRun(ds, node).ShouldRun)
            {
                continue;
            }

            desired++;
            byNode.TryAdd(node.Metadata.Name, []);
        }

        var maxUnavailable = UnavailableCount(ds, desired);
        var maxSurge = SurgeCount(ds, desired);
        if (desired > 0 && maxUnavailable == 0 && maxSurge == 0)
        {
            maxUnavailable = 1;
        }

        // Go ranges over a map in random order; nodes by name keeps the choice stable here.
        var ordered = byNode.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        if (maxSurge == 0)
        {
            var numUnavailable = 0;
            var allowed = new List<string>();
            var candidates = new List<string>();
            foreach (var (_, pods) in ordered)
            {
                var (newPod, oldPod, ok) = UpdatedPodsOnNode(pods, hash);
                if (!ok || (oldPod is null) == (newPod is null))
                {
                    // Left to the manage loop (excess pods, nothing yet, or both): count it unavailable.
                    numUnavailable++;
                }
                else if (newPod is not null)
                {
                    if (!Pods.IsAvailable(newPod, minReady, now))
                    {
                        numUnavailable++;
                    }
                }
                else if (!Pods.IsAvailable(oldPod!, minReady, now))
                {
                    allowed.Add(oldPod!.Metadata.Name);
                }
                else if (numUnavailable < maxUnavailable)
                {
                    candidates.Add(oldPod!.Metadata.Name);
                }
            }

            var remaining = Math.Clamp(maxUnavailable - numUnavailable, 0, candidates.Count);
            return ([.. allowed, .. candidates.Take(remaining)], []);
        }

        var delete = new List<string>();
        var shouldNotRun = new List<string>();
        var candidateNodes = new List<string>();
        var allowedNodes = new List<string>();
        var numSurge = 0;
        var numAvailable = 0;
        foreach (var (nodeName, pods) in ordered)
        {
            var (newPod, oldPod, ok) = UpdatedPodsOnNode(pods, hash);
            if (!ok)
            {
                numSurge++;
                continue;
            }

            if (oldPod is not null ? Pods.IsAvailable(oldPod, minReady, now) : newPod is not null && Pods.IsAvailable(newPod, minReady, now))
            {
                numAvailable++;
            }

            var shouldRun = nodesByName.TryGetValue(nodeName, out var node) && NodeShouldRun(ds, node).ShouldRun;
            if (oldPod is null)
            {
                continue;
            }

            if (newPod is null)
            {
                if (!Pods.IsAvailable(oldPod, minReady, now))
                {
                    if (!shouldRun)
                    {
                        delete.Add(oldPod.Metadata.Name);
                    }
                    else
                    {
                        allowedNodes.Add(nodeName);
                    }
                }
                else if (!shouldRun)
                {
                    shouldNotRun.Add(oldPod.Metadata.Name);
                }
                else if (numSurge < maxSurge)
                {
                    candidateNodes.Add(nodeName);
                }

                continue;
            }

            if (!Pods.IsAvailable(newPod, minReady, now))
            {
                numSurge++;
                continue;
            }

            delete.Add(oldPod.Metadata.Name);
        }

        // With surge the owner expects full availability: a pod on a node that no longer qualifies goes
        // only while more pods are available than desired.
        var deletable = Math.Min(numAvailable - desired, shouldNotRun.Count);
        if (deletable > 0)
        {
            delete.AddRange(shouldNotRun.Take(deletable));
        }

        var remainingSurge = Math.Clamp(maxSurge - numSurge, 0, candidateNodes.Count);
        return (delete, [.. allowedNodes, .. candidateNodes.Take(remainingSurge)]);
    }

    /// <summary>updateDaemonSetStatus's counts over the nodes (the oldest pod on each node speaks for it).</summary>
    public static V1DaemonSetStatus Status(V1DaemonSet ds, IReadOnlyList<V1Node> nodes, IReadOnlyDictionary<string, List<V1Pod>> nodeToPods, string hash, DateTime now)
    {
        int desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
        foreach (var node in nodes)
        {
            var shouldRun = NodeShouldRun(ds, node).ShouldRun;
            var scheduled = nodeToPods.TryGetValue(node.Metadata.Name, out var pods) && pods.Count > 0;
            if (!shouldRun)
            {
                misscheduled += scheduled ? 1 : 0;
                continue;
            }

            desired++;
            if (!scheduled)
            {
                continue;
            }

            current++;
            var pod = ByCreationAndPhase(pods!)[0];
            if (Pods.IsReady(pod))
            {
                ready++;
                if (Pods.IsAvailable(pod, ds.Spec.MinReadySeconds ?? 0, now))
                {
                    available++;
                }
            }

            if (IsUpdated(pod, hash))
            {
                updated++;
            }
        }

        return new V1DaemonSetStatus
        {
            DesiredNumberScheduled = desired,
            CurrentNumberScheduled = current,
            NumberMisscheduled = misscheduled,
            NumberReady = ready,
            UpdatedNumberScheduled = updated,
            NumberAvailable = available,
            NumberUnavailable = desired - available,
            ObservedGeneration = ds.Status?.ObservedGeneration,
            CollisionCount = ds.Status?.CollisionCount,
            Conditions = ds.Status?.Conditions,
        };
    }
}
