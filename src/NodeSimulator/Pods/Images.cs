using System.Security.Cryptography;
using System.Text;

namespace NodeSimulator.Pods;

/// <summary>Image references as containerd reports them, made up consistently for images that are never pulled.</summary>
public static class Images
{
    /// <summary>"nginx" → "docker.io/library/nginx:latest", as a container runtime resolves a short name.</summary>
    public static string Normalize(string image)
    {
        if (string.IsNullOrEmpty(image))
        {
            return image;
        }

        var name = image;
        var digest = "";
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = name[at..];
            name = name[..at];
        }

        var firstSlash = name.IndexOf('/', StringComparison.Ordinal);
        var first = firstSlash < 0 ? "" : name[..firstSlash];
        var hasRegistry = firstSlash >= 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
        if (!hasRegistry)
        {
            name = (firstSlash < 0 ? "docker.io/library/" : "docker.io/") + name;
        }

        var lastSlash = name.LastIndexOf('/');
        if (digest.Length == 0 && name.IndexOf(':', lastSlash + 1) < 0)
        {
            name += ":latest";
        }

        return name + digest;
    }

    /// <summary>"docker.io/library/nginx@sha256:…", a digest made from the name (stable across runs).</summary>
    public static string ImageId(string image)
    {
        var normalized = Normalize(image);
        var at = normalized.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return normalized;
        }

        var repository = normalized[..normalized.LastIndexOf(':')];
        return $"{repository}@sha256:{Sha256Hex(normalized)}";
    }

    /// <summary>A plausible size in bytes (10 MB to 500 MB), stable for a name.</summary>
    public static long SizeBytes(string image)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(image)));
        return 10_000_000 + (BitConverter.ToUInt32(hash, 0) % 490_000_000);
    }

    public static string ContainerId(string podUid, string container, int restartCount) =>
        "containerd://" + Sha256Hex($"{podUid}/{container}/{restartCount}");

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
