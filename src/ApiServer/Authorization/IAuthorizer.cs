using ApiMachinery.Authentication;
using ApiServer.Endpoints;

namespace ApiServer.Authorization;

internal enum AuthorizationDecision
{
    Allow,
    Deny,
    NoOpinion,
}

/// <summary>One authorization mode of --authorization-mode; modes are asked in order until one decides.</summary>
internal interface IAuthorizer
{
    ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(UserInfo user, RequestInfo request, CancellationToken cancellationToken);
}

/// <summary>
/// The AlwaysAllow mode, and for now the only one: every authenticated request is allowed. RBAC
/// (and the Node mode) come with the authorization issue; until then --authorization-mode is
/// accepted and this mode stands in for all of them.
/// </summary>
internal sealed class AlwaysAllowAuthorizer : IAuthorizer
{
    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(UserInfo user, RequestInfo request, CancellationToken cancellationToken) =>
        ValueTask.FromResult((AuthorizationDecision.Allow, ""));
}
