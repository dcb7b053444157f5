using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using System.Text.Json;
using ClientTools.CommandLine;
using ClientTools.Logging;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace ClientTools.Runtime;

/// <summary>
/// Delegated authentication and authorization of a component's secure port, as k8s.io/apiserver's
/// DelegatingAuthenticationOptions and DelegatingAuthorizationOptions do for kube-controller-manager:
/// a client certificate verified against <c>--client-ca-file</c> (user = CN, groups = O), else a bearer
/// token checked by a TokenReview through <c>--authentication-kubeconfig</c>, else the anonymous user;
/// then the request is allowed for <c>system:masters</c>, on <c>--authorization-always-allow-paths</c>
/// (exact, or a prefix ending in <c>*</c>), or when a SubjectAccessReview through
/// <c>--authorization-kubeconfig</c> (non-resource path, verb = the lower-cased method) allows it.
/// Credentials that do not verify answer 401; a denied request 403 with kube's Status. Without an
/// authentication kubeconfig tokens are ignored; without an authorization kubeconfig every request
/// not skipped is forbidden (kube's "RemoteKubeConfigFileOptional"). Reviews are cached (10 s by default).
/// Not done: the front-proxy request headers (--requestheader-*) and reading the client CA from
/// kube-system/extension-apiserver-authentication when --client-ca-file is not given.
/// </summary>
public sealed class DelegatedAuth
{
    public const string Anonymous = "system:anonymous";
    public const string Unauthenticated = "system:unauthenticated";
    public const string Authenticated = "system:authenticated";
    public const string Masters = "system:masters";

    private readonly Flag<string> _authenticationKubeconfig;
    private readonly Flag<string> _authorizationKubeconfig;
    private readonly Flag<string> _clientCaFile;
    private readonly Flag<IReadOnlyList<string>> _alwaysAllowPaths;
    private readonly Flag<TimeSpan> _tokenCacheTtl;
    private readonly Flag<TimeSpan> _allowCacheTtl;
    private readonly Flag<TimeSpan> _denyCacheTtl;
    private readonly ConcurrentDictionary<string, (UserInfo? User, DateTime Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (bool Allowed, string Reason, DateTime Expires)> _decisions = new(StringComparer.Ordinal);
    private static readonly JsonSerializerOptions StatusJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private IKubernetes? _tokenReviews;
    private IKubernetes? _accessReviews;
    private X509Certificate2Collection? _clientCas;

    public DelegatedAuth(FlagSet flags)
    {
        _authenticationKubeconfig = flags.String("authentication-kubeconfig", "",
            "Kubeconfig of the API server that checks bearer tokens (its user may create TokenReviews). Empty: bearer tokens are ignored and the caller counts as anonymous.");
        _authorizationKubeconfig = flags.String("authorization-kubeconfig", "",
            "Kubeconfig of the API server that decides access (its user may create SubjectAccessReviews). Empty: only system:masters and the always-allowed paths get through.");
        _clientCaFile = flags.String("client-ca-file", "",
            "PEM bundle of CAs for client certificates; a certificate they signed identifies its caller (user = CN, groups = O).");
        _alwaysAllowPaths = flags.StringList("authorization-always-allow-paths", ["/healthz", "/readyz", "/livez"],
            "Paths any caller may read without an access review (the health endpoints by default).");
        _tokenCacheTtl = flags.Duration("authentication-token-webhook-cache-ttl", TimeSpan.FromSeconds(10), "How long a TokenReview's answer is reused.");
        _allowCacheTtl = flags.Duration("authorization-webhook-cache-authorized-ttl", TimeSpan.FromSeconds(10), "How long an allowing SubjectAccessReview answer is reused.");
        _denyCacheTtl = flags.Duration("authorization-webhook-cache-unauthorized-ttl", TimeSpan.FromSeconds(10), "How long a denying SubjectAccessReview answer is reused.");
        flags.Accept("the front-proxy request-header authenticator is not done",
            "requestheader-client-ca-file", "requestheader-allowed-names", "requestheader-extra-headers-prefix", "requestheader-group-headers", "requestheader-username-headers", "requestheader-uid-headers");
        flags.Accept("the client CA is not looked up in the cluster", "authentication-skip-lookup", "authentication-tolerate-lookup-failure");
    }

    /// <summary>Whether TLS should ask for client certificates (a client CA is configured).</summary>
    public bool WantsClientCertificates => _clientCaFile.Value.Length > 0;

    /// <summary>The authenticated identity of one request.</summary>
    public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null, IDictionary<string, IList<string>>? Extra = null);

    /// <summary>Reads the client CA and makes the review clients (after the flags are parsed).</summary>
    public void Start()
    {
        if (_clientCaFile.Value.Length > 0)
        {
            _clientCas = [];
            _clientCas.ImportFromPemFile(_clientCaFile.Value);
        }

        _tokenReviews = ReviewClient(_authenticationKubeconfig.Value, "authentication");
        _accessReviews = ReviewClient(_authorizationKubeconfig.Value, "authorization");
    }

    private static IKubernetes? ReviewClient(string kubeconfig, string what)
    {
        if (kubeconfig.Length == 0)
        {
            Klog.Warning(what == "authentication"
                ? "--authentication-kubeconfig is empty: bearer tokens cannot be checked (no TokenReview) and are ignored."
                : "--authorization-kubeconfig is empty: access cannot be reviewed (no SubjectAccessReview); only system:masters and the always-allowed paths get through.");
            return null;
        }

        // kube sets high limits here: the reviews gate the component's own endpoints.
        return ClientTools.Client.ClientFactory.Create(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig), "delegated-" + what, 200, 400);
    }

    /// <summary>ASP.NET middleware: authenticate, authorize, then pass on or answer 401/403.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        UserInfo user;
        try
        {
            if (await AuthenticateAsync(context).ConfigureAwait(false) is not { } authenticated)
            {
                await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized").ConfigureAwait(false);
                return;
            }

            user = authenticated;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Klog.Info(2, $"Unable to authenticate the request: {e.Message}");
            await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized").ConfigureAwait(false);
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        var verb = context.Request.Method.ToLowerInvariant();
        var (allowed, reason) = await AuthorizeAsync(user, verb, path, context.RequestAborted).ConfigureAwait(false);
        if (!allowed)
        {
            var message = $"forbidden: User \"{user.Name}\" cannot {verb} path \"{path}\"" + (reason.Length > 0 ? ": " + reason : "");
            await WriteStatusAsync(context, 403, "Forbidden", message).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>The request's user; null when it presented credentials that do not verify.</summary>
    public async Task<UserInfo?> AuthenticateAsync(HttpContext context)
    {
        var failed = false;
        if (_clientCas is not null && context.Connection.ClientCertificate is { } certificate)
        {
            if (VerifyClientCertificate(certificate))
            {
                var name = certificate.GetNameInfo(X509NameType.SimpleName, false);
                var groups = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
                    .Where(n => n.GetSingleElementType().Value == "2.5.4.10")
                    .Select(n => n.GetSingleElementValue() ?? "").ToList();
                return WithAuthenticated(new UserInfo(name, groups));
            }

            failed = true;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (_tokenReviews is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            if (token.Length > 0 && await ReviewTokenAsync(token, context.RequestAborted).ConfigureAwait(false) is { } user)
            {
                return WithAuthenticated(user);
            }

            failed = true;
        }

        return failed ? null : new UserInfo(Anonymous, [Unauthenticated]);
    }

    private static UserInfo WithAuthenticated(UserInfo user) =>
        user.Groups.Contains(Authenticated) ? user : user with { Groups = [.. user.Groups, Authenticated] };

    private bool VerifyClientCertificate(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientCas!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

    private async Task<UserInfo?> ReviewTokenAsync(string token, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        if (_tokens.TryGetValue(token, out var cached) && cached.Expires > now)
        {
            return cached.User;
        }

        var review = await _tokenReviews!.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        UserInfo? user = null;
        if (review.Status?.Authenticated == true && review.Status.User is { } info)
        {
            user = new UserInfo(info.Username ?? "", [.. info.Groups ?? []], info.Uid, info.Extra);
        }

        _tokens[token] = (user, now + _tokenCacheTtl.Value);
        return user;
    }

    /// <summary>The union authorizer: system:masters, the always-allowed paths, then a SubjectAccessReview.</summary>
    public async Task<(bool Allowed, string Reason)> AuthorizeAsync(UserInfo user, string verb, string path, CancellationToken cancellationToken)
    {
        if (user.Groups.Contains(Masters) || _alwaysAllowPaths.Value.Any(p => PathAllowed(p, path)))
        {
            return (true, "");
        }

        if (_accessReviews is null)
        {
            return (false, "");
        }

        var key = string.Join('\n', [user.Name, user.Uid ?? "", string.Join(',', user.Groups), verb, path]);
        var now = DateTime.UtcNow;
        if (_decisions.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return (cached.Allowed, cached.Reason);
        }

        try
        {
            var review = await _accessReviews.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
            {
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = user.Name,
                    Groups = [.. user.Groups],
                    Uid = user.Uid,
                    Extra = user.Extra,
                    NonResourceAttributes = new V1NonResourceAttributes { Path = path, Verb = verb },
                },
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            var allowed = review.Status?.Allowed == true && review.Status.Denied != true;
            var reason = review.Status?.Reason ?? "";
            _decisions[key] = (allowed, reason, now + (allowed ? _allowCacheTtl.Value : _denyCacheTtl.Value));
            return (allowed, reason);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // kube's webhook authorizer: an error is no opinion, so the request is forbidden (not cached).
            Klog.Info(2, $"SubjectAccessReview for {user.Name} {verb} {path} failed: {e.Message}");
            return (false, "");
        }
    }

    /// <summary>k8s.io/apiserver's path authorizer: a leading "/" is optional; a trailing "*" makes a prefix.</summary>
    private static bool PathAllowed(string pattern, string path)
    {
        var p = pattern.StartsWith('/') ? pattern : "/" + pattern;
        return p.EndsWith('*') ? path.StartsWith(p[..^1], StringComparison.Ordinal) : path == p;
    }

    private static Task WriteStatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        var details = code == 403 ? ",\"details\":{}" : "";
        return context.Response.WriteAsync(
            $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":{JsonSerializer.Serialize(message, StatusJson)},\"reason\":\"{reason}\"{details},\"code\":{code}}}\n");
    }
}
