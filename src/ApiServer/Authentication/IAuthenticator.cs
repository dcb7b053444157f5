using ApiMachinery.Authentication;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Authentication;

/// <summary>
/// One way of establishing who is calling. Authenticators run in registration order; the first that
/// recognises credentials decides (k8s.io/apiserver pkg/authentication/request/union).
/// </summary>
internal interface IAuthenticator
{
    /// <summary>
    /// <see cref="AuthenticationResult.NoCredentials"/> when the request carries none of this kind;
    /// <see cref="AuthenticationResult.Failed"/> when it carries some and they are not valid.
    /// </summary>
    ValueTask<AuthenticationResult> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken);
}

internal readonly record struct AuthenticationResult(UserInfo? User, string? Error)
{
    public static AuthenticationResult NoCredentials => default;

    public static AuthenticationResult Success(UserInfo user) => new(user, null);

    public static AuthenticationResult Failed(string error) => new(null, error);

    public bool HasCredentials => User is not null || Error is not null;
}
