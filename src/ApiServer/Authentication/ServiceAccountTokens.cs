using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Authentication;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.Options;
using ApiServer.Registry;

namespace ApiServer.Authentication;

/// <summary>Reads the objects tokens refer to (service accounts, pods, secrets, nodes).</summary>
internal interface IObjectGetter
{
    /// <summary>The core/v1 object, or null when it does not exist.</summary>
    Task<JsonObject?> TryGetAsync(string resource, string ns, string name, CancellationToken cancellationToken);
}

/// <summary>Reads through the registry from the watch cache (resourceVersion 0), as kube reads its informers.</summary>
internal sealed class RegistryObjectGetter(Lazy<RegistryCatalog> registry) : IObjectGetter
{
    public async Task<JsonObject?> TryGetAsync(string resource, string ns, string name, CancellationToken cancellationToken)
    {
        var store = registry.Value.Find("", "v1", resource) ?? throw new InvalidOperationException($"{resource} are not served");
        try
        {
            return await store.GetAsync(ns, name, cancellationToken, "0").ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }
}

/// <summary>Service-account user names and groups (k8s.io/apiserver pkg/authentication/serviceaccount).</summary>
internal static class ServiceAccountNames
{
    public const string Prefix = "system:serviceaccount:";
    public const string AllServiceAccountsGroup = "system:serviceaccounts";
    public const string LegacyIssuer = "kubernetes/serviceaccount";

    public static string UserName(string ns, string name) => $"{Prefix}{ns}:{name}";

    /// <summary>(namespace, name) of a service-account user name, or null.</summary>
    public static (string Namespace, string Name)? Split(string userName)
    {
        if (!userName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = userName[Prefix.Length..].Split(':');
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? (parts[0], parts[1]) : null;
    }

    public static string[] Groups(string ns) => [AllServiceAccountsGroup, AllServiceAccountsGroup + ":" + ns];
}

/// <summary>
/// Signs and verifies service-account JWTs: --service-account-signing-key-file signs with the first
/// --service-account-issuer; --service-account-key-file keys verify (the signing key too). Bound
/// tokens carry the kubernetes.io claim (namespace, service account, and the pod, secret or node
/// they are bound to) and are valid only while those objects exist with the same uids; legacy
/// tokens (issuer kubernetes/serviceaccount) name their secret.
/// </summary>
internal sealed class ServiceAccountTokens : ITokenAuthenticator, IDisposable
{
    private static readonly TimeSpan NotBeforeLeeway = TimeSpan.FromSeconds(60);

    private readonly AuthenticationOptions _options;
    private readonly IObjectGetter _objects;
    private readonly TimeProvider _time;
    private readonly JwtKey? _signingKey;
    private readonly List<JwtKey> _verifyingKeys = [];

    public ServiceAccountTokens(AuthenticationOptions options, IObjectGetter objects, TimeProvider time)
    {
        _options = options;
        _objects = objects;
        _time = time;
        if (options.ServiceAccountSigningKeyFile is { } signing)
        {
            _signingKey = JwtKey.LoadSigningKey(signing);
            _verifyingKeys.Add(_signingKey);
        }

        foreach (var file in options.ServiceAccountKeyFiles)
        {
            _verifyingKeys.AddRange(JwtKey.LoadAll(file));
        }
    }

    public bool CanIssue => _signingKey is not null && _options.ServiceAccountIssuers.Count > 0;

    public bool CanVerify => _verifyingKeys.Count > 0;

    public void Dispose()
    {
        foreach (var key in _verifyingKeys)
        {
            key.Dispose();
        }
    }

    /// <summary>The claims of a new bound token (TokenRequest); the caller has checked the objects exist.</summary>
    public (string Token, DateTimeOffset Expires) Issue(
        JsonObject serviceAccount, IReadOnlyList<string> audiences, long expirationSeconds, JsonObject? pod, JsonObject? secret, JsonObject? node)
    {
        if (_signingKey is null || _options.ServiceAccountIssuers.Count == 0)
        {
            throw StatusException.NewInternalError("service account token signing is not configured (--service-account-signing-key-file, --service-account-issuer)");
        }

        var now = _time.GetUtcNow();
        var nowSeconds = now.ToUnixTimeSeconds();
        var expires = DateTimeOffset.FromUnixTimeSeconds(nowSeconds + expirationSeconds);
        var ns = ObjectMeta.Namespace(serviceAccount);
        var name = ObjectMeta.Name(serviceAccount);
        var private_ = new JsonObject { ["namespace"] = ns };
        if (node is not null)
        {
            private_["node"] = Ref(node);
        }

        if (pod is not null)
        {
            private_["pod"] = Ref(pod);
        }

        if (secret is not null)
        {
            private_["secret"] = Ref(secret);
        }

        private_["serviceaccount"] = Ref(serviceAccount);
        var audienceArray = new JsonArray(audiences.Select(a => (JsonNode)a).ToArray());
        var claims = new JsonObject
        {
            ["aud"] = audienceArray,
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = nowSeconds,
            ["iss"] = _options.ServiceAccountIssuers[0],
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = private_,
            ["nbf"] = nowSeconds,
            ["sub"] = ServiceAccountNames.UserName(ns, name),
        };
        return (_signingKey.Sign(claims), expires);

        static JsonObject Ref(JsonObject obj) => new() { ["name"] = ObjectMeta.Name(obj), ["uid"] = ObjectMeta.Uid(obj) };
    }

    public async ValueTask<AuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken cancellationToken)
    {
        if (_verifyingKeys.Count == 0 || !Jws.TryParse(token, out var header, out var claims))
        {
            return AuthenticationResult.NoCredentials;
        }

        var issuer = Str(claims["iss"]);
        var legacy = issuer == ServiceAccountNames.LegacyIssuer;
        if (!legacy && !_options.ServiceAccountIssuers.Contains(issuer))
        {
            return AuthenticationResult.NoCredentials;
        }

        var algorithm = Str(header["alg"]);
        var keyId = header["kid"] is null ? null : Str(header["kid"]);
        if (!Jws.VerifySignature(token, _verifyingKeys, algorithm, keyId))
        {
            return AuthenticationResult.Failed("invalid bearer token, square/go-jose: error in cryptographic primitive");
        }

        var now = _time.GetUtcNow();
        if (claims["exp"] is JsonValue exp && exp.TryGetValue<long>(out var expSeconds) && DateTimeOffset.FromUnixTimeSeconds(expSeconds) < now)
        {
            return AuthenticationResult.Failed("invalid bearer token, service account token has expired");
        }

        if (claims["nbf"] is JsonValue nbf && nbf.TryGetValue<long>(out var nbfSeconds) && DateTimeOffset.FromUnixTimeSeconds(nbfSeconds) > now + NotBeforeLeeway)
        {
            return AuthenticationResult.Failed("invalid bearer token, service account token is not valid yet");
        }

        var accepted = audiences ?? _options.EffectiveApiAudiences;
        var tokenAudiences = claims["aud"] switch
        {
            JsonArray a => a.Select(Str).ToArray(),
            JsonValue v => [Str(v)],
            _ => [],
        };
        if (tokenAudiences.Length == 0)
        {
            // Legacy tokens carry no audience: they are for this server only.
            tokenAudiences = accepted.ToArray();
        }

        if (accepted.Count > 0 && !tokenAudiences.Intersect(accepted).Any())
        {
            return AuthenticationResult.Failed($"invalid bearer token, token audiences [{string.Join(" ", tokenAudiences.Select(Quote))}] is invalid for the target audiences [{string.Join(" ", accepted.Select(Quote))}]");
        }

        return legacy
            ? await ValidateLegacyAsync(claims, cancellationToken).ConfigureAwait(false)
            : await ValidateBoundAsync(claims, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AuthenticationResult> ValidateBoundAsync(JsonObject claims, CancellationToken cancellationToken)
    {
        if (claims["kubernetes.io"] is not JsonObject k8s)
        {
            return AuthenticationResult.Failed("invalid bearer token, token lookup failed: kubernetes.io claim missing");
        }

        var ns = Str(k8s["namespace"]);
        var saName = Str(k8s["serviceaccount"]?["name"]);
        var saUid = Str(k8s["serviceaccount"]?["uid"]);
        if (ns.Length == 0 || saName.Length == 0)
        {
            return AuthenticationResult.Failed("invalid bearer token, service account claims are incomplete");
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (Str(claims["jti"]) is { Length: > 0 } jti)
        {
            extra["authentication.kubernetes.io/credential-id"] = [$"JTI={jti}"];
        }

        if (_options.ServiceAccountLookup)
        {
            var sa = await _objects.TryGetAsync("serviceaccounts", ns, saName, cancellationToken).ConfigureAwait(false);
            if (sa is null || ObjectMeta.DeletionTimestamp(sa).Length > 0)
            {
                return AuthenticationResult.Failed($"invalid bearer token, service account {ns}/{saName} has been deleted");
            }

            if (ObjectMeta.Uid(sa) != saUid)
            {
                return AuthenticationResult.Failed($"invalid bearer token, service account UID ({saUid}) does not match claim ({ObjectMeta.Uid(sa)})");
            }
        }

        foreach (var (claim, resource, scoped) in new[] { ("pod", "pods", true), ("secret", "secrets", true), ("node", "nodes", false) })
        {
            if (k8s[claim] is not JsonObject reference)
            {
                continue;
            }

            var refName = Str(reference["name"]);
            var refUid = Str(reference["uid"]);
            if (claim != "node" || k8s["pod"] is null)
            {
                // A node named alongside a pod is informational; a token bound to a node is checked.
                var found = await _objects.TryGetAsync(resource, scoped ? ns : "", refName, cancellationToken).ConfigureAwait(false);
                if (found is null || ObjectMeta.DeletionTimestamp(found).Length > 0)
                {
                    return AuthenticationResult.Failed($"invalid bearer token, {claim} {(scoped ? ns + "/" : "")}{refName} has been deleted");
                }

                if (ObjectMeta.Uid(found) != refUid)
                {
                    return AuthenticationResult.Failed($"invalid bearer token, {claim} UID ({ObjectMeta.Uid(found)}) does not match claim ({refUid})");
                }
            }

            if (claim is "pod" or "node")
            {
                extra[$"authentication.kubernetes.io/{claim}-name"] = [refName];
                extra[$"authentication.kubernetes.io/{claim}-uid"] = [refUid];
            }
        }

        return AuthenticationResult.Success(new UserInfo(
            ServiceAccountNames.UserName(ns, saName),
            [.. ServiceAccountNames.Groups(ns), UserInfo.AllAuthenticated],
            saUid,
            extra.Count > 0 ? extra : null));
    }

    private async Task<AuthenticationResult> ValidateLegacyAsync(JsonObject claims, CancellationToken cancellationToken)
    {
        var ns = Str(claims["kubernetes.io/serviceaccount/namespace"]);
        var secretName = Str(claims["kubernetes.io/serviceaccount/secret.name"]);
        var saName = Str(claims["kubernetes.io/serviceaccount/service-account.name"]);
        var saUid = Str(claims["kubernetes.io/serviceaccount/service-account.uid"]);
        if (ns.Length == 0 || saName.Length == 0 || secretName.Length == 0)
        {
            return AuthenticationResult.Failed("invalid bearer token, legacy service account claims are incomplete");
        }

        if (_options.ServiceAccountLookup)
        {
            var secret = await _objects.TryGetAsync("secrets", ns, secretName, cancellationToken).ConfigureAwait(false);
            if (secret is null || ObjectMeta.DeletionTimestamp(secret).Length > 0)
            {
                return AuthenticationResult.Failed("invalid bearer token, token lookup failed");
            }

            var sa = await _objects.TryGetAsync("serviceaccounts", ns, saName, cancellationToken).ConfigureAwait(false);
            if (sa is null || ObjectMeta.Uid(sa) != saUid)
            {
                return AuthenticationResult.Failed("invalid bearer token, token lookup failed");
            }
        }

        return AuthenticationResult.Success(new UserInfo(
            ServiceAccountNames.UserName(ns, saName),
            [.. ServiceAccountNames.Groups(ns), UserInfo.AllAuthenticated],
            saUid,
            new Dictionary<string, IReadOnlyList<string>> { ["authentication.kubernetes.io/credential-id"] = [$"Secret={secretName}"] }));
    }

    private static string Str(JsonNode? node) =>
        node.AsString() ?? (node is JsonValue n && n.TryGetValue<long>(out var l) ? l.ToString(CultureInfo.InvariantCulture) : "");

    private static string Quote(string s) => "\"" + s + "\"";
}
