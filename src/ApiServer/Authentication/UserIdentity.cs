using System.Security.Claims;
using ApiMachinery.Authentication;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Authentication;

/// <summary>
/// Who sent a request, as ASP.NET Core carries it: the identity of the ClaimsPrincipal on
/// <see cref="HttpContext.User"/>, whose claims are the user's name, uid and groups, and which keeps
/// the <see cref="UserInfo"/> the authenticator made, so that authorization, admission and audit read
/// kube's user.Info without going back through the claims. Impersonation replaces it.
/// </summary>
internal sealed class UserIdentity : ClaimsIdentity
{
    /// <summary>The claim type of each group (as JWT and OIDC name it).</summary>
    public const string GroupClaim = "groups";

    public const string UidClaim = "uid";

    /// <summary>system:anonymous: no authentication type, so IsAuthenticated is false.</summary>
    public static readonly ClaimsPrincipal AnonymousPrincipal = new(new UserIdentity(UserInfo.AnonymousUser, authenticationType: null));

    private Claim[]? _claims;

    public UserIdentity(UserInfo user, string? authenticationType)
        : base(authenticationType, ClaimTypes.Name, GroupClaim) => User = user;

    public UserInfo User { get; }

    /// <summary>The user's claims, made when first asked for (the server itself reads <see cref="User"/>).</summary>
    public override IEnumerable<Claim> Claims => (_claims ??= UserClaims()).Concat(base.Claims);

    /// <summary>
    /// The user never changes once authenticated, so a copy only shares it. The Certificate package's
    /// validation cache clones every result it hands out; the base class would copy every claim per request.
    /// </summary>
    public override ClaimsIdentity Clone() => new UserIdentity(User, AuthenticationType);

    /// <summary>A principal with this user as its identity.</summary>
    public static ClaimsPrincipal Principal(UserInfo user, string? authenticationType) => new(new UserIdentity(user, authenticationType));

    private Claim[] UserClaims()
    {
        var claims = new List<Claim>(User.Groups.Count + 2) { new(ClaimTypes.Name, User.Name, ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, this) };
        if (User.Uid.Length > 0)
        {
            claims.Add(new Claim(UidClaim, User.Uid, ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, this));
        }

        foreach (var group in User.Groups)
        {
            claims.Add(new Claim(GroupClaim, group, ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, this));
        }

        return claims.ToArray();
    }
}

internal static class HttpContextUserExtensions
{
    /// <summary>The request's user (null before authentication has run, or when it failed).</summary>
    public static UserInfo? KubernetesUser(this HttpContext context) => (context.User.Identity as UserIdentity)?.User;
}
