using System.Text;

namespace Bench;

/// <summary>Pod and ConfigMap JSON of a given size, as clients send them and as the server stores them.</summary>
internal static class Objects
{
    /// <summary>A pod of roughly <paramref name="size"/> bytes of JSON (an annotation pads it).</summary>
    public static string Pod(string ns, string name, int size, string labels = "\"app\":\"bench\"", string nodeName = "")
    {
        var node = nodeName.Length > 0 ? $"\"nodeName\":\"{nodeName}\"," : "";
        var body = $"{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"{ns}\",\"labels\":{{{labels}}},\"annotations\":{{\"pad\":\"PAD\"}}}},"
            + $"\"spec\":{{{node}\"containers\":[{{\"name\":\"app\",\"image\":\"registry.k8s.io/pause:3.10\",\"ports\":[{{\"containerPort\":8080,\"protocol\":\"TCP\"}}],"
            + "\"env\":[{\"name\":\"MODE\",\"value\":\"bench\"}],\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}],\"restartPolicy\":\"Always\"}}";
        var pad = Math.Max(1, size - body.Length + 3);
        return body.Replace("PAD", new string('x', pad), StringComparison.Ordinal);
    }

    /// <summary>The pod as the server would store it (with uid and creationTimestamp), for loading etcd directly.</summary>
    public static string StoredPod(string ns, string name, int size, string labels, string nodeName)
    {
        var pod = Pod(ns, name, size, labels, nodeName);
        return pod.Replace("\"metadata\":{", $"\"metadata\":{{\"uid\":\"{Guid.NewGuid()}\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",", StringComparison.Ordinal);
    }

    public static string ConfigMap(string ns, string name, string value) =>
        $"{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"{ns}\"}},\"data\":{{\"v\":\"{value}\"}}}}";

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
