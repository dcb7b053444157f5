namespace ControllerManager.Common;

/// <summary>Reading one key of an object's labels or annotations (the models type them as IDictionary, which has no GetValueOrDefault).</summary>
internal static class LabelMaps
{
    public static string? ValueOf(this IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
