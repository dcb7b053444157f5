namespace Scheduler.Framework;

/// <summary>Data a plugin keeps between the extension points of one scheduling cycle.</summary>
public interface IStateData
{
    /// <summary>A copy for a dry run (preemption) that may add and remove pods without touching the original.</summary>
    IStateData Clone();
}

/// <summary>Per-cycle storage shared by the plugins (framework.CycleState).</summary>
public sealed class CycleState
{
    private readonly Dictionary<string, IStateData> _data = new(StringComparer.Ordinal);

    /// <summary>Plugins whose PreFilter said Skip: their Filter is not run this cycle.</summary>
    public HashSet<string> SkipFilterPlugins { get; } = new(StringComparer.Ordinal);

    public HashSet<string> SkipScorePlugins { get; } = new(StringComparer.Ordinal);

    public void Write(string key, IStateData data) => _data[key] = data;

    public T? Read<T>(string key)
        where T : class, IStateData => _data.GetValueOrDefault(key) as T;

    public CycleState Clone()
    {
        var copy = new CycleState();
        foreach (var (key, value) in _data)
        {
            copy._data[key] = value.Clone();
        }

        copy.SkipFilterPlugins.UnionWith(SkipFilterPlugins);
        copy.SkipScorePlugins.UnionWith(SkipScorePlugins);
        return copy;
    }
}
