using ApiMachinery.Authentication;

namespace ApiServer.Authentication;

/// <summary>
/// What one credential check found (k8s.io/apiserver authenticator.Response plus its ok and error):
/// <see cref="NoCredentials"/> when the credential is not of this kind, <see cref="Failed"/> when it
/// is and does not hold. The token authenticators answer with it; the ASP.NET Core schemes
/// (<see cref="KubernetesAuthentication"/>) turn it into an AuthenticateResult.
/// </summary>
internal readonly record struct AuthenticationResult(UserInfo? User, string? Error)
{
    public static AuthenticationResult NoCredentials => default;

    public static AuthenticationResult Success(UserInfo user) => new(user, null);

    public static AuthenticationResult Failed(string error) => new(null, error);

    public bool HasCredentials => User is not null || Error is not null;
}
