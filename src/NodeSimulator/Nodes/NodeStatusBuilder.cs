using k8s.Models;

namespace NodeSimulator.Nodes;

/// <summary>A simulated node's object as the kubelet registers and reports it.</summary>
public static class NodeStatusBuilder
{
    public const string KubeletVersion = "v1.35.0";

    /// <summary>The Node to create: labels, podCIDR, taints and a first status.</summary>
    public static V1Node Registration(string name, string podCidr, SimulatorOptions options, IReadOnlyCollection<KeyValuePair<string, long>> images, DateTime now)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["beta.kubernetes.io/arch"] = "amd64",
            ["beta.kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
            ["kubernetes.io/hostname"] = name,
            ["kubernetes.io/os"] = "linux",
            ["node.kubernetes.io/instance-type"] = "simulated",
        };
        foreach (var (key, value) in options.Labels)
        {
            labels[key] = value;
        }

        return new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = labels,
                Annotations = new Dictionary<string, string>
                {
                    ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true",
                    ["node-simulator/simulated"] = "true",
                },
            },
            Spec = new V1NodeSpec
            {
                PodCIDR = podCidr,
                PodCIDRs = [podCidr],
                Taints = options.Taints.Count > 0 ? [.. options.Taints] : null,
            },
            Status = Status(name, options, images, null, now),
        };
    }

    /// <summary>
    /// The node's status as the kubelet computes it every --node-status-update-frequency: capacity and
    /// allocatable, the four conditions (a condition's lastTransitionTime moves only when its status
    /// does), addresses, the kubelet endpoint, nodeInfo and the images it holds (at most 50, largest first).
    /// </summary>
    public static V1NodeStatus Status(string name, SimulatorOptions options, IReadOnlyCollection<KeyValuePair<string, long>> images, V1NodeStatus? previous, DateTime now)
    {
        now = Pods.PodLifecycle.Truncate(now);
        var memory = options.Memory.ToDecimal();
        var storage = options.EphemeralStorage.ToDecimal();
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = options.Cpu,
            ["ephemeral-storage"] = options.EphemeralStorage,
            ["hugepages-1Gi"] = new("0"),
            ["hugepages-2Mi"] = new("0"),
            ["memory"] = options.Memory,
            ["pods"] = new(options.MaxPods.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        var allocatable = new Dictionary<string, ResourceQuantity>(capacity)
        {
            // The kubelet's default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%.
            ["memory"] = new(((long)(memory - (100 * 1024 * 1024))).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["ephemeral-storage"] = new(((long)(storage * 0.9m)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };

        V1NodeCondition Condition(string type, string status, string reason, string message)
        {
            var old = previous?.Conditions?.FirstOrDefault(c => c.Type == type);
            return new V1NodeCondition
            {
                Type = type,
                Status = status,
                Reason = reason,
                Message = message,
                LastHeartbeatTime = now,
                LastTransitionTime = old?.Status == status && old.LastTransitionTime is { } t ? t : now,
            };
        }

        return new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = allocatable,
            Conditions =
            [
                Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = options.NodeIp },
                new V1NodeAddress { Type = "Hostname", Address = name },
            ],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = options.Port } },
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = Id(name, "machine"),
                SystemUUID = Guid(name),
                BootID = Guid(name + "/boot"),
                KernelVersion = "6.1.0-simulated",
                OsImage = "node-simulator (no containers run)",
                ContainerRuntimeVersion = "simulated://1.0.0",
                KubeletVersion = KubeletVersion,
                KubeProxyVersion = "",
                OperatingSystem = "linux",
                Architecture = "amd64",
            },
            Images = images.Count == 0 ? null : [.. images
                .OrderByDescending(i => i.Value).ThenBy(i => i.Key, StringComparer.Ordinal).Take(50)
                .Select(i => new V1ContainerImage { Names = [Pods.Images.ImageId(i.Key), i.Key], SizeBytes = i.Value })],
        };
    }

    private static string Id(string name, string salt) =>
        Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(salt + "/" + name)));

    private static string Guid(string name)
    {
        var hex = Id(name, "uuid");
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}
