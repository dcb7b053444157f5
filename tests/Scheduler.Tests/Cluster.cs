using k8s.Models;
using Scheduler.Framework;
using Scheduler.Plugins;
using Scheduler.Plugins.DefaultPreemption;

namespace Scheduler.Tests;

/// <summary>A table of nodes and pods for scheduling decisions, built fluently, with kube's default profile.</summary>
internal sealed class Cluster : IPreemptionActions
{
    private readonly List<NodeInfo> _nodes = [];
    private readonly Dictionary<string, List<PodInfo>> _nominated = [];
    private Snapshot _snapshot = new();

    public List<string> Preempted { get; } = [];

    public List<string> ClearedNominations { get; } = [];

    public List<DisruptionBudget> Budgets { get; } = [];

    public Cluster Node(string name, string cpu = "4", string memory = "8Gi", int pods = 110, Dictionary<string, string>? labels = null, V1Taint[]? taints = null, bool unschedulable = false, Dictionary<string, long>? images = null)
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string>(labels ?? []) { ["kubernetes.io/hostname"] = name } },
            Spec = new V1NodeSpec { Taints = taints, Unschedulable = unschedulable },
            Status = new V1NodeStatus
            {
                Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory), ["pods"] = new(pods.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                Images = images?.Select(i => new V1ContainerImage { Names = [i.Key], SizeBytes = i.Value }).ToList(),
            },
        };
        var info = new NodeInfo(name);
        info.SetNode(node);
        _nodes.Add(info);
        return this;
    }

    /// <summary>A pod already running on <paramref name="node"/>.</summary>
    public Cluster Running(string node, V1Pod pod)
    {
        pod.Spec.NodeName = node;
        _nodes.Single(n => n.Name == node).AddPod(new PodInfo(pod));
        return this;
    }

    public Cluster Nominated(string node, V1Pod pod)
    {
        if (!_nominated.TryGetValue(node, out var list))
        {
            _nominated[node] = list = [];
        }

        list.Add(new PodInfo(pod));
        return this;
    }

    public SchedulingFramework Framework { get; private set; } = null!;

    public (ScheduleResult Result, CycleState State) Schedule(V1Pod pod, Random? random = null)
    {
        _snapshot = Snapshot.Of(_nodes);
        SchedulingFramework? framework = null;
        var profile = DefaultProfile.Create(() => _snapshot, () => framework!, () => Budgets, this);
        framework = new SchedulingFramework(profile, node => _nominated.TryGetValue(node, out var list) ? list : []);
        Framework = framework;
        var algorithm = new ScheduleAlgorithm(framework, random: random ?? new Random(1));
        var state = new CycleState();
        return (algorithm.Schedule(state, new PodInfo(pod), _snapshot), state);
    }

    /// <summary>Schedules; when no node fits, runs preemption as the scheduler does and returns the full message.</summary>
    public (string? Host, string Message, string? Nominated) ScheduleWithPreemption(V1Pod pod)
    {
        var (result, state) = Schedule(pod);
        if (result.Scheduled)
        {
            return (result.Host, "", null);
        }

        var error = result.Error!;
        string? nominated = null;
        foreach (var plugin in Framework.Profile.PostFilter)
        {
            var post = plugin.PostFilter(state, new PodInfo(pod), error.Statuses);
            if (post.Status.IsSuccess)
            {
                nominated = post.NominatedNodeName;
                break;
            }

            error.PostFilterMessage = post.Status.Message;
        }

        return (null, error.ToString(), nominated);
    }

    public void Preempt(PodInfo preemptor, PodInfo victim, string node) => Preempted.Add($"{victim.Pod.Metadata.Name}@{node}");

    public void ClearNomination(PodInfo pod) => ClearedNominations.Add(pod.Pod.Metadata.Name);

    public static V1Pod Pod(string name, string? cpu = null, string? memory = null, int priority = 0, Action<V1PodSpec>? spec = null, Dictionary<string, string>? labels = null, string ns = "default")
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
        {
            requests["cpu"] = new(cpu);
        }

        if (memory is not null)
        {
            requests["memory"] = new(memory);
        }

        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = "uid-" + name, Labels = labels, CreationTimestamp = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            Spec = new V1PodSpec
            {
                Priority = priority,
                SchedulerName = "default-scheduler",
                Containers = [new V1Container { Name = "c", Image = "nginx", Resources = new V1ResourceRequirements { Requests = requests } }],
            },
            Status = new V1PodStatus { Phase = "Pending" },
        };
        spec?.Invoke(pod.Spec);
        return pod;
    }

    public static V1Taint Taint(string key, string value, string effect = "NoSchedule") => new() { Key = key, Value = value, Effect = effect };

    public static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
}
