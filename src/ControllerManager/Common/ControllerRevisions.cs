using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>
/// ControllerRevisions as the DaemonSet and StatefulSet controllers keep them (kube's
/// pkg/controller/history and each controller's getPatch): a revision's data is the strategic merge
/// patch <c>{"spec":{"template":{..., "$patch":"replace"}}}</c> that puts its template back, which is
/// exactly what <c>kubectl rollout undo</c> sends and <c>kubectl rollout history --revision</c> shows.
/// </summary>
internal static class ControllerRevisions
{
    /// <summary>apps.ControllerRevisionHashLabelKey: on pods (both controllers) and on a DaemonSet's revisions.</summary>
    public const string ControllerRevisionHashLabel = "controller-revision-hash";

    /// <summary>history.ControllerRevisionHashLabel: on a StatefulSet's revisions.</summary>
    public const string HashLabel = "controller.kubernetes.io/hash";

    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The revision data restoring <paramref name="template"/> (kube's getPatch).</summary>
    public static JsonObject TemplatePatch(V1PodTemplateSpec template)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(template)) as JsonObject ?? [];
        node["$patch"] = "replace";
        return new JsonObject { ["spec"] = new JsonObject { ["template"] = node } };
    }

    /// <summary>The revision's data as JSON, whatever form the client's model left it in.</summary>
    public static JsonNode? DataOf(V1ControllerRevision revision) => revision.Data switch
    {
        null => null,
        JsonNode node => node,
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        var other => JsonNode.Parse(KubernetesJson.Serialize(other)),
    };

    /// <summary>
    /// Whether <paramref name="revision"/> restores <paramref name="template"/>. kube compares the
    /// patch's bytes as Go marshals them; the canonical forms compare what they say, so a server's
    /// field order or an omitted empty field makes no difference.
    /// </summary>
    public static bool Restores(V1ControllerRevision revision, V1PodTemplateSpec template) =>
        Canonical(DataOf(revision)) == Canonical(TemplatePatch(template));

    /// <summary>The revisions ordered as history.SortControllerRevisions: by revision, then creation, then name.</summary>
    public static List<V1ControllerRevision> Sorted(IEnumerable<V1ControllerRevision> revisions) =>
        [.. revisions.OrderBy(r => r.Revision ?? 0).ThenBy(r => r.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)];

    public static long MaxRevision(IEnumerable<V1ControllerRevision> revisions) => revisions.Select(r => r.Revision ?? 0).DefaultIfEmpty(0).Max();

    /// <summary>
    /// history.HashControllerRevision: FNV-32a over the revision's data and the collision count,
    /// encoded with kube's SafeEncodeString (the data is hashed in canonical form; see <see cref="Restores"/>).
    /// </summary>
    public static string HashData(JsonNode data, int? collisionCount)
    {
        var text = Canonical(data) + (collisionCount is { } c ? c.ToString(CultureInfo.InvariantCulture) : "");
        return SafeEncode(Fnv32a(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>history.ControllerRevisionName: the prefix cut to 223 characters, a dash and the hash.</summary>
    public static string RevisionName(string prefix, string hash) =>
        (prefix.Length > 223 ? prefix[..223] : prefix) + "-" + hash;

    public static uint Fnv32a(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 16777619u;
        }

        return hash;
    }

    /// <summary>rand.SafeEncodeString of the number's decimal digits (no vowels, no look-alike characters).</summary>
    public static string SafeEncode(uint value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            encoded.Append(SafeAlphabet[c % SafeAlphabet.Length]);
        }

        return encoded.ToString();
    }

    private static string Canonical(JsonNode? node) => node is null ? "null" : ObjectCopy.Canonical(node);
}
