using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiMachinery.Json;

namespace Admission.Plugins;

/// <summary>Small helpers the pod plugins share for reading and editing pod JSON.</summary>
internal static class PodJson
{
    private const string RandomAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static bool IsPod(AdmissionAttributes a) => a.Group.Length == 0 && a.Resource == "pods" && a.Subresource.Length == 0;

    public static JsonObject Spec(JsonObject pod) => Child(pod, "spec");

    public static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject child)
        {
            return child;
        }

        child = new JsonObject();
        parent[name] = child;
        return child;
    }

    public static JsonArray Array(JsonObject parent, string name)
    {
        if (parent[name] is JsonArray array)
        {
            return array;
        }

        array = new JsonArray();
        parent[name] = array;
        return array;
    }

    public static bool? Bool(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>Containers then init containers (kube's "every container" for mounts and limits), as objects.</summary>
    public static IEnumerable<JsonObject> Containers(JsonObject spec, bool includeInit = true)
    {
        foreach (var list in includeInit ? new[] { "initContainers", "containers" } : ["containers"])
        {
            if (spec[list] is JsonArray array)
            {
                foreach (var c in array.OfType<JsonObject>())
                {
                    yield return c;
                }
            }
        }
    }

    public static IReadOnlyDictionary<string, string> Labels(JsonObject? obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj?["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (k, v) in labels)
            {
                if (v.AsString() is { } s)
                {
                    result[k] = s;
                }
            }
        }

        return result;
    }

    public static string Annotation(JsonObject obj, string key) => obj["metadata"]?["annotations"].GetString(key) ?? "";

    /// <summary>A 5-character suffix from kube's alphabet (no vowels, no look-alikes).</summary>
    public static string RandomSuffix()
    {
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = RandomAlphabet[RandomNumberGenerator.GetInt32(RandomAlphabet.Length)];
        }

        return new string(chars);
    }
}
