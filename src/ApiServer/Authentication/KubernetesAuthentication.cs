using System.Text.Encodings.Web;
using ApiServer.Endpoints;
using ApiServer.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApiServer.Authentication;

/// <summary>
/// kube-apiserver's request authentication as ASP.NET Core authentication schemes. The default scheme,
/// <see cref="Scheme"/>, is kube's union: client certificates (<see cref="ClientCertificates"/>, the
/// Certificate package's scheme), then bearer tokens (<see cref="BearerTokenHandler"/>); the first that
/// authenticates decides, and if none does, failures are 401 and no credentials at all are
/// system:anonymous (<see cref="UnionHandler"/>). UseAuthentication puts the resulting
/// <see cref="UserIdentity"/> on HttpContext.User.
/// </summary>
internal static partial class KubernetesAuthentication
{
    /// <summary>The union of the schemes below, and anonymous.</summary>
    public const string Scheme = "Kubernetes";

    /// <summary>Client certificates (Microsoft.AspNetCore.Authentication.Certificate's scheme name).</summary>
    public const string CertificateScheme = Microsoft.AspNetCore.Authentication.Certificate.CertificateAuthenticationDefaults.AuthenticationScheme;

    public const string BearerScheme = "Bearer";

    /// <summary>The union's options: its member schemes in kube-apiserver's order.</summary>
    internal sealed class UnionOptions : AuthenticationSchemeOptions
    {
        public List<string> Schemes { get; } = [];
    }

    /// <summary>
    /// <c>Authorization: Bearer</c>: the token file and service-account tokens (<see cref="BearerTokenAuthenticator"/>).
    /// No header is no result; a token nobody accepts fails.
    /// </summary>
    internal sealed class BearerTokenHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, BearerTokenAuthenticator tokens)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (BearerTokenAuthenticator.TokenOf(Request) is not { } token)
            {
                return AuthenticateResult.NoResult();
            }

            var result = await tokens.AuthenticateTokenAsync(token, null, Context.RequestAborted).ConfigureAwait(false);
            if (result.User is null)
            {
                return AuthenticateResult.Fail(result.Error ?? "invalid bearer token");
            }

            // The credential goes no further than authentication (it is not proxied or logged).
            Request.Headers.Authorization = default;
            return AuthenticateResult.Success(new AuthenticationTicket(UserIdentity.Principal(result.User, Scheme.Name), Scheme.Name));
        }
    }

    /// <summary>
    /// kube-apiserver's authenticator (union.New of the request authenticators, wrapped by
    /// union.NewFailOnError with the anonymous one): each scheme in order; the first that succeeds
    /// decides, even after another failed (a bad certificate with a good token is the token's user);
    /// when some failed and none succeeded, the request fails; with no credentials at all it is
    /// system:anonymous when --anonymous-auth allows it. As in kube-apiserver, AlwaysAllow does not
    /// combine with anonymous requests: then they reach only the public-info endpoints (/healthz,
    /// /livez, /readyz, /version), which probes rely on.
    /// </summary>
    internal sealed partial class UnionHandler(
        IOptionsMonitor<UnionOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiServerOptions server)
        : AuthenticationHandler<UnionOptions>(options, logger, encoder)
    {
        private static readonly string[] PublicPrefixes = ["/healthz", "/livez", "/readyz", "/version"];

        private readonly bool _anonymous = server.Authentication.AnonymousAuth;

        private readonly bool _anonymousEverywhere = server.Authentication.AnonymousAuth
            && server.Authorization.EffectiveModes.Any(m => m != "AlwaysAllow");

        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            List<string>? errors = null;
            foreach (var scheme in Options.Schemes)
            {
                var result = await Context.AuthenticateAsync(scheme).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    return result;
                }

                if (result.Failure is { } failure)
                {
                    (errors ??= []).Add(failure.Message);
                }
            }

            if (errors is not null)
            {
                var error = errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]";
                LogAuthenticationFailed(Logger, error);
                return AuthenticateResult.Fail(error);
            }

            if (_anonymousEverywhere || (_anonymous && IsPublic(Context)))
            {
                return AuthenticateResult.Success(new AuthenticationTicket(UserIdentity.AnonymousPrincipal, Scheme.Name));
            }

            return AuthenticateResult.NoResult();
        }

        private static bool IsPublic(HttpContext context)
        {
            var path = context.Features.Get<ApiRequestFeature>()?.Info.Path ?? context.Request.Path.Value ?? "/";
            return PublicPrefixes.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal));
        }

        [LoggerMessage(EventId = LogEvents.AuthenticationFailed, Level = LogLevel.Information, Message = "Unable to authenticate the request: {Error}")]
        private static partial void LogAuthenticationFailed(ILogger logger, string error);
    }
}
