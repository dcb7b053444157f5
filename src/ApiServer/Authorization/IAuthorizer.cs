using ApiMachinery.Authentication;
using ApiServer.Endpoints;

namespace ApiServer.Authorization;

internal enum AuthorizationDecision
{
    Allow,
    Deny,
    NoOpinion,
}

/// <summary>What is asked of an authorizer (k8s.io/apiserver pkg/authorization/authorizer.Attributes).</summary>
internal sealed record AuthorizationAttributes
{
    public required UserInfo User { get; init; }

    public required string Verb { get; init; }

    public bool IsResourceRequest { get; init; }

    /// <summary>For non-resource requests: the URL path.</summary>
    public string Path { get; init; } = "";

    public string ApiGroup { get; init; } = "";

    public string ApiVersion { get; init; } = "";

    public string Resource { get; init; } = "";

    public string Subresource { get; init; } = "";

    public string Namespace { get; init; } = "";

    public string Name { get; init; } = "";

    /// <summary>The field selector of a list, watch or deletecollection (the Node authorizer reads spec.nodeName).</summary>
    public IReadOnlyList<ApiMachinery.Selectors.FieldRequirement> FieldSelector { get; init; } = [];

    /// <summary>
    /// As kube-apiserver's RequestInfoFactory: a list or watch whose field selector asks for exactly
    /// one metadata.name is about that name, so RBAC's resourceNames and the Node authorizer can allow it.
    /// </summary>
    public static AuthorizationAttributes FromRequest(UserInfo user, RequestInfo info)
    {
        IReadOnlyList<ApiMachinery.Selectors.FieldRequirement> fields = [];
        var name = info.Name;
        if (info.FieldSelector.Length > 0 && info.Verb is "list" or "watch" or "deletecollection")
        {
            try
            {
                fields = ApiMachinery.Selectors.FieldSelector.Parse(info.FieldSelector).Requirements;
            }
            catch (ApiMachinery.Selectors.SelectorParseException)
            {
                // The handler answers the malformed selector with its 400.
            }

            if (name.Length == 0 && info.Verb is "list" or "watch" &&
                fields.FirstOrDefault(f => f.Field == ApiMachinery.Selectors.FieldSelector.MetadataName && f.Operator == ApiMachinery.Selectors.SelectionOperator.Equals) is { } byName &&
                ApiMachinery.Validation.NameValidation.IsValidPathSegmentName(byName.Value).Count == 0)
            {
                name = byName.Value;
            }
        }

        return new()
        {
            User = user,
            Verb = info.Verb,
            IsResourceRequest = info.IsResourceRequest,
            Path = info.Path,
            ApiGroup = info.ApiGroup,
            ApiVersion = info.ApiVersion,
            Resource = info.Resource,
            Subresource = info.Subresource,
            Namespace = info.Namespace,
            Name = name,
            FieldSelector = fields,
        };
    }
}

internal readonly record struct AuthorizationResult(AuthorizationDecision Decision, string Reason)
{
    public static AuthorizationResult NoOpinion(string reason = "") => new(AuthorizationDecision.NoOpinion, reason);

    public static AuthorizationResult Allow(string reason = "") => new(AuthorizationDecision.Allow, reason);

    public static AuthorizationResult Deny(string reason = "") => new(AuthorizationDecision.Deny, reason);
}

/// <summary>One authorization mode of --authorization-mode; modes are asked in order until one decides.</summary>
internal interface IAuthorizer
{
    ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken);
}

/// <summary>One rule as SelfSubjectRulesReview reports it.</summary>
internal sealed record ResourceRuleInfo(IReadOnlyList<string> Verbs, IReadOnlyList<string> ApiGroups, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames);

internal sealed record NonResourceRuleInfo(IReadOnlyList<string> Verbs, IReadOnlyList<string> NonResourceUrls);

internal sealed record RulesResult(IReadOnlyList<ResourceRuleInfo> ResourceRules, IReadOnlyList<NonResourceRuleInfo> NonResourceRules, bool Incomplete, string EvaluationError);

/// <summary>An authorizer that can also list what a user may do (authorizer.RuleResolver).</summary>
internal interface IRuleResolver
{
    RulesResult RulesFor(UserInfo user, string ns);
}

/// <summary>The AlwaysAllow mode: every request is allowed.</summary>
internal sealed class AlwaysAllowAuthorizer : IAuthorizer, IRuleResolver
{
    public ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AuthorizationResult.Allow());

    public RulesResult RulesFor(UserInfo user, string ns) =>
        new([new ResourceRuleInfo(["*"], ["*"], ["*"], [])], [new NonResourceRuleInfo(["*"], ["*"])], false, "");
}

/// <summary>The AlwaysDeny mode: every request is denied (it has no opinion on nothing; it says no).</summary>
internal sealed class AlwaysDenyAuthorizer : IAuthorizer, IRuleResolver
{
    public const string Reason = "Everything is forbidden.";

    public ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AuthorizationResult.NoOpinion(Reason));

    public RulesResult RulesFor(UserInfo user, string ns) => new([], [], true, "");
}

/// <summary>
/// The authorizer every request meets: system:masters first (always allowed, as kube-apiserver's
/// privileged-group authorizer), then the --authorization-mode modes in order; the first to allow
/// or deny decides; reasons of the rest are joined for the 403 (union.New).
/// </summary>
internal sealed class AuthorizerChain(IReadOnlyList<IAuthorizer> modes)
{
    public IReadOnlyList<IAuthorizer> Modes { get; } = modes;

    public async ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        if (attributes.User.IsInGroup(UserInfo.SystemPrivilegedGroup))
        {
            return AuthorizationResult.Allow();
        }

        var reasons = new List<string>();
        foreach (var mode in Modes)
        {
            var result = await mode.AuthorizeAsync(attributes, cancellationToken).ConfigureAwait(false);
            if (result.Reason.Length > 0)
            {
                reasons.Add(result.Reason);
            }

            if (result.Decision != AuthorizationDecision.NoOpinion)
            {
                return result with { Reason = string.Join('\n', reasons) };
            }
        }

        return AuthorizationResult.NoOpinion(string.Join('\n', reasons));
    }

    public async ValueTask<bool> IsAllowedAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        (await AuthorizeAsync(attributes, cancellationToken).ConfigureAwait(false)).Decision == AuthorizationDecision.Allow;

    /// <summary>The union of every mode's rules (SelfSubjectRulesReview).</summary>
    public RulesResult RulesFor(UserInfo user, string ns)
    {
        var resource = new List<ResourceRuleInfo>();
        var nonResource = new List<NonResourceRuleInfo>();
        var incomplete = false;
        var errors = new List<string>();
        foreach (var mode in Modes)
        {
            if (mode is not IRuleResolver resolver)
            {
                incomplete = true;
                continue;
            }

            var rules = resolver.RulesFor(user, ns);
            resource.AddRange(rules.ResourceRules);
            nonResource.AddRange(rules.NonResourceRules);
            incomplete |= rules.Incomplete;
            if (rules.EvaluationError.Length > 0)
            {
                errors.Add(rules.EvaluationError);
            }
        }

        return new RulesResult(resource, nonResource, incomplete, errors.Count switch
        {
            0 => "",
            1 => errors[0],
            _ => "[" + string.Join(", ", errors) + "]",
        });
    }
}
