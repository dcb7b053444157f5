using System.Text;
using System.Text.Json;
using ApiMachinery.Errors;

namespace ApiServer.Registry;

/// <summary>
/// kube-apiserver's continue token: base64url (no padding) of
/// {"v":"meta.k8s.io/v1","rv":N,"start":"&lt;key suffix&gt;\u0000"}, where start is the key, relative
/// to the resource's prefix, at which the next page begins.
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    public static string Encode(long revision, string lastKeySuffix)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Payload(Version, revision, lastKeySuffix + "\0"));
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <returns>the revision and the key suffix after which to continue.</returns>
    public static (long Revision, string StartAfterSuffix) Decode(string token)
    {
        Payload? payload;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            payload = JsonSerializer.Deserialize<Payload>(Convert.FromBase64String(base64));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid("continue key is not valid: " + e.Message);
        }

        if (payload is null || payload.v != Version)
        {
            throw Invalid("continue key is not valid: server does not recognize this encoded version");
        }

        if (payload.rv <= 0)
        {
            throw Invalid("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }

        var start = payload.start ?? "";
        if (start.Length == 0 || start.Contains("..", StringComparison.Ordinal) || start.StartsWith('/'))
        {
            throw Invalid("continue key is not valid: encoded start key must be a relative path");
        }

        // Tokens we issue end in \0 (the smallest key after the last one returned).
        return (payload.rv, start.EndsWith('\0') ? start[..^1] : start);
    }

    private static StatusException Invalid(string message) => StatusException.NewBadRequest(message);

#pragma warning disable IDE1006 // the wire names are lower case
    private sealed record Payload(string v, long rv, string start);
#pragma warning restore IDE1006
}
