using k8s.Models;

namespace Scheduler.Framework;

/// <summary>
/// An amount of compute resources as the scheduler counts them (framework.Resource): millicores,
/// bytes, pods, and extended resources by name.
/// </summary>
public sealed class Resource
{
    public long MilliCpu { get; set; }

    public long Memory { get; set; }

    public long EphemeralStorage { get; set; }

    public long AllowedPodNumber { get; set; }

    public Dictionary<string, long> Scalars { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The scheduler's defaults for a container that requests no cpu or memory, used only when
    /// scoring (so that many request-less pods do not all land on one node): 100m and 200 MB.
    /// </summary>
    public const long DefaultMilliCpuRequest = 100;
    public const long DefaultMemoryRequest = 200 * 1024 * 1024;

    public static Resource From(IDictionary<string, ResourceQuantity>? list)
    {
        var r = new Resource();
        r.Add(list);
        return r;
    }

    public void Add(IDictionary<string, ResourceQuantity>? list)
    {
        foreach (var (name, quantity) in list ?? new Dictionary<string, ResourceQuantity>())
        {
            switch (name)
            {
                case "cpu":
                    MilliCpu += MilliValue(quantity);
                    break;
                case "memory":
                    Memory += Value(quantity);
                    break;
                case "ephemeral-storage":
                    EphemeralStorage += Value(quantity);
                    break;
                case "pods":
                    AllowedPodNumber += Value(quantity);
                    break;
                default:
                    if (IsScalar(name))
                    {
                        Scalars[name] = Scalars.GetValueOrDefault(name) + Value(quantity);
                    }

                    break;
            }
        }
    }

    public void Add(Resource other)
    {
        MilliCpu += other.MilliCpu;
        Memory += other.Memory;
        EphemeralStorage += other.EphemeralStorage;
        AllowedPodNumber += other.AllowedPodNumber;
        foreach (var (name, value) in other.Scalars)
        {
            Scalars[name] = Scalars.GetValueOrDefault(name) + value;
        }
    }

    public void Subtract(Resource other)
    {
        MilliCpu -= other.MilliCpu;
        Memory -= other.Memory;
        EphemeralStorage -= other.EphemeralStorage;
        AllowedPodNumber -= other.AllowedPodNumber;
        foreach (var (name, value) in other.Scalars)
        {
            Scalars[name] = Scalars.GetValueOrDefault(name) - value;
        }
    }

    /// <summary>Each resource the larger of this and <paramref name="list"/> (init containers run one at a time).</summary>
    public void SetMax(Resource other)
    {
        MilliCpu = Math.Max(MilliCpu, other.MilliCpu);
        Memory = Math.Max(Memory, other.Memory);
        EphemeralStorage = Math.Max(EphemeralStorage, other.EphemeralStorage);
        foreach (var (name, value) in other.Scalars)
        {
            Scalars[name] = Math.Max(Scalars.GetValueOrDefault(name), value);
        }
    }

    public Resource Clone()
    {
        var r = new Resource { MilliCpu = MilliCpu, Memory = Memory, EphemeralStorage = EphemeralStorage, AllowedPodNumber = AllowedPodNumber };
        foreach (var (name, value) in Scalars)
        {
            r.Scalars[name] = value;
        }

        return r;
    }

    /// <summary>Extended resources, hugepages and attachable volumes: everything but cpu, memory, ephemeral-storage and pods.</summary>
    public static bool IsScalar(string name) =>
        name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("attachable-volumes-", StringComparison.Ordinal) ||
        (name.Contains('/', StringComparison.Ordinal) && !name.StartsWith("kubernetes.io/", StringComparison.Ordinal) && !name.StartsWith("requests.", StringComparison.Ordinal));

    public static long MilliValue(ResourceQuantity quantity) => (long)Math.Ceiling(quantity.ToDecimal() * 1000m);

    public static long Value(ResourceQuantity quantity) => (long)Math.Ceiling(quantity.ToDecimal());
}
