using System.Text.Json.Nodes;
using k8s;

namespace ControllerManager.Common;

/// <summary>Deep copies and canonical forms of API objects (the informer cache's objects are shared and never modified).</summary>
internal static class ObjectCopy
{
    public static T Clone<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));

    /// <summary>
    /// The object's JSON with object keys sorted and null, empty-object and empty-array values
    /// dropped: two objects that say the same thing have the same canonical form whichever way a
    /// server ordered their maps or spelled an absent field.
    /// </summary>
    public static string Canonical<T>(T obj) => Normalize(JsonNode.Parse(KubernetesJson.Serialize(obj)))?.ToJsonString() ?? "null";

    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var sorted = new JsonObject();
                foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
                {
                    var normalized = Normalize(value?.DeepClone());
                    if (normalized is null || normalized is JsonObject { Count: 0 } || normalized is JsonArray { Count: 0 })
                    {
                        continue;
                    }

                    sorted[key] = normalized;
                }

                return sorted;
            case JsonArray a:
                return new JsonArray([.. a.Select(item => Normalize(item?.DeepClone()))]);
            default:
                return node?.DeepClone();
        }
    }
}
