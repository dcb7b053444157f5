using ClientTools.Cache;
using ClientTools.Selectors;
using k8s.Models;

namespace Scheduler.Framework;

/// <summary>A pod affinity term with its namespaces worked out (framework.AffinityTerm).</summary>
public sealed class AffinityTerm(IReadOnlySet<string> namespaces, V1LabelSelector? selector, string topologyKey, V1LabelSelector? namespaceSelector)
{
    public IReadOnlySet<string> Namespaces { get; } = namespaces;

    public V1LabelSelector? Selector { get; } = selector;

    public string TopologyKey { get; } = topologyKey;

    public V1LabelSelector? NamespaceSelector { get; } = namespaceSelector;

    /// <summary>Whether <paramref name="pod"/> is one this term is about: in its namespaces (or a namespace its selector picks) and matching its label selector.</summary>
    public bool Matches(V1Pod pod, IDictionary<string, string>? namespaceLabels) =>
        (Namespaces.Contains(pod.Metadata?.NamespaceProperty ?? "") || LabelSelectors.Matches(NamespaceSelector, namespaceLabels)) &&
        LabelSelectors.Matches(Selector, pod.Metadata?.Labels);

    public static AffinityTerm From(V1Pod owner, V1PodAffinityTerm term)
    {
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        if ((term.Namespaces is null || term.Namespaces.Count == 0) && term.NamespaceSelector is null)
        {
            namespaces.Add(owner.Metadata?.NamespaceProperty ?? "");
        }
        else
        {
            namespaces.UnionWith(term.Namespaces ?? []);
        }

        return new AffinityTerm(namespaces, term.LabelSelector, term.TopologyKey ?? "", term.NamespaceSelector);
    }
}

public sealed record WeightedAffinityTerm(AffinityTerm Term, int Weight);

/// <summary>A host port a pod asks for (protocol, host IP, port).</summary>
public readonly record struct HostPort(string Protocol, string Ip, int Port)
{
    public const string AnyIp = "0.0.0.0";

    /// <summary>Two uses of a port clash when protocol and port match and either IP is the wildcard or both are the same.</summary>
    public bool ConflictsWith(HostPort other) =>
        Protocol == other.Protocol && Port == other.Port && (Ip == other.Ip || Ip == AnyIp || other.Ip == AnyIp);
}

/// <summary>
/// What the scheduler needs to know about a pod, worked out once per version of it (framework.PodInfo):
/// its requests as the fit check counts them and as scoring counts them, its affinity terms and host ports.
/// </summary>
public sealed class PodInfo
{
    public PodInfo(V1Pod pod)
    {
        Pod = pod;
        Key = ObjectKeys.KeyOf(pod);
        Requests = ComputeRequests(pod, nonZero: false);
        NonZeroRequests = ComputeRequests(pod, nonZero: true);
        var affinity = pod.Spec?.Affinity;
        RequiredAffinityTerms = [.. (affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => AffinityTerm.From(pod, t))];
        RequiredAntiAffinityTerms = [.. (affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => AffinityTerm.From(pod, t))];
        PreferredAffinityTerms = [.. (affinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => new WeightedAffinityTerm(AffinityTerm.From(pod, t.PodAffinityTerm), t.Weight))];
        PreferredAntiAffinityTerms = [.. (affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => new WeightedAffinityTerm(AffinityTerm.From(pod, t.PodAffinityTerm), t.Weight))];
        HostPorts = [.. Containers(pod, sidecarsOnly: true)
            .SelectMany(c => c.Ports ?? [])
            .Where(p => p.HostPort is > 0)
            .Select(p => new HostPort(p.Protocol ?? "TCP", string.IsNullOrEmpty(p.HostIP) ? HostPort.AnyIp : p.HostIP, p.HostPort!.Value))];
    }

    public V1Pod Pod { get; }

    /// <summary>"namespace/name".</summary>
    public string Key { get; }

    public string Uid => Pod.Metadata?.Uid ?? "";

    public string Namespace => Pod.Metadata?.NamespaceProperty ?? "";

    public int Priority => Pod.Spec?.Priority ?? 0;

    /// <summary>Requests as NodeResourcesFit's filter counts them: containers summed, the largest init container step, overhead.</summary>
    public Resource Requests { get; }

    /// <summary>The same with the scheduler's defaults for missing cpu and memory requests, for scoring.</summary>
    public Resource NonZeroRequests { get; }

    public IReadOnlyList<AffinityTerm> RequiredAffinityTerms { get; }

    public IReadOnlyList<AffinityTerm> RequiredAntiAffinityTerms { get; }

    public IReadOnlyList<WeightedAffinityTerm> PreferredAffinityTerms { get; }

    public IReadOnlyList<WeightedAffinityTerm> PreferredAntiAffinityTerms { get; }

    public IReadOnlyList<HostPort> HostPorts { get; }

    public bool HasAffinity => RequiredAffinityTerms.Count + RequiredAntiAffinityTerms.Count + PreferredAffinityTerms.Count + PreferredAntiAffinityTerms.Count > 0;

    public bool HasRequiredAntiAffinity => RequiredAntiAffinityTerms.Count > 0;

    public DateTime StartTime => Pod.Status?.StartTime ?? Pod.Metadata?.CreationTimestamp ?? DateTime.MaxValue;

    /// <summary>
    /// kube's resource.PodRequests: app containers summed (restartable init containers, i.e. sidecars,
    /// run beside them and count too), then the maximum with each init container step (a regular init
    /// container plus the sidecars started before it), plus the pod's overhead. Pod-level requests, when
    /// given, stand for cpu and memory.
    /// </summary>
    private static Resource ComputeRequests(V1Pod pod, bool nonZero)
    {
        var spec = pod.Spec ?? new V1PodSpec();
        var total = new Resource();
        foreach (var container in spec.Containers ?? [])
        {
            total.Add(ContainerRequests(container, nonZero));
        }

        var sidecars = new Resource();
        var initMax = new Resource();
        foreach (var container in spec.InitContainers ?? [])
        {
            var requests = ContainerRequests(container, nonZero);
            Resource step;
            if (container.RestartPolicy == "Always")
            {
                total.Add(requests);
                sidecars.Add(requests);
                step = sidecars.Clone();
            }
            else
            {
                step = requests;
                step.Add(sidecars);
            }

            initMax.SetMax(step);
        }

        total.SetMax(initMax);
        if (spec.Resources?.Requests is { } podLevel)
        {
            if (podLevel.TryGetValue("cpu", out var cpu))
            {
                total.MilliCpu = Resource.MilliValue(cpu);
            }

            if (podLevel.TryGetValue("memory", out var memory))
            {
                total.Memory = Resource.Value(memory);
            }
        }

        total.Add(spec.Overhead);
        total.AllowedPodNumber = 0;
        return total;
    }

    private static Resource ContainerRequests(V1Container container, bool nonZero)
    {
        var requests = Resource.From(container.Resources?.Requests);
        if (nonZero)
        {
            if (container.Resources?.Requests?.ContainsKey("cpu") != true)
            {
                requests.MilliCpu = Resource.DefaultMilliCpuRequest;
            }

            if (container.Resources?.Requests?.ContainsKey("memory") != true)
            {
                requests.Memory = Resource.DefaultMemoryRequest;
            }
        }

        return requests;
    }

    private static IEnumerable<V1Container> Containers(V1Pod pod, bool sidecarsOnly) =>
        (pod.Spec?.Containers ?? []).Concat((pod.Spec?.InitContainers ?? []).Where(c => !sidecarsOnly || c.RestartPolicy == "Always"));
}
