using System.Text.Json.Nodes;
using ApiMachinery.Authentication;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiMachinery.Validation;
using ApiServer.Authentication;
using ApiServer.Authorization;

namespace ApiServer.Registry.Reviews;

/// <summary>
/// The create-only review resources, answered and never stored (kube's pkg/registry/authentication
/// and authorization): TokenReview and SelfSubjectReview (who is this?), SubjectAccessReview,
/// SelfSubjectAccessReview, LocalSubjectAccessReview (may they?) and SelfSubjectRulesReview (what
/// may I?). Each answers with the request object and its status filled in.
/// </summary>
internal sealed class ReviewRegistry(AuthorizerChain authorizer, BearerTokenAuthenticator tokens, TimeProvider time)
{
    public const string AuthenticationGroup = "authentication.k8s.io";
    public const string AuthorizationGroup = "authorization.k8s.io";

    public static bool IsReview(string group, string resource) => (group, resource) is
        (AuthenticationGroup, "tokenreviews" or "selfsubjectreviews")
        or (AuthorizationGroup, "subjectaccessreviews" or "selfsubjectaccessreviews" or "localsubjectaccessreviews" or "selfsubjectrulesreviews");

    /// <summary>The answered review; <paramref name="body"/> has been checked for kind and apiVersion.</summary>
    public async Task<JsonObject> CreateAsync(string resource, string ns, JsonObject body, UserInfo user, CancellationToken cancellationToken)
    {
        var spec = body["spec"] as JsonObject ?? [];
        JsonObject status = resource switch
        {
            "tokenreviews" => await TokenReviewAsync(spec, cancellationToken).ConfigureAwait(false),
            "selfsubjectreviews" => new JsonObject { ["userInfo"] = UserInfoJson(user) },
            "selfsubjectaccessreviews" => await AccessReviewAsync(user, spec, null, cancellationToken).ConfigureAwait(false),
            "localsubjectaccessreviews" => await AccessReviewAsync(SubjectOf(spec), spec, ns, cancellationToken).ConfigureAwait(false),
            "subjectaccessreviews" => await AccessReviewAsync(SubjectOf(spec), spec, null, cancellationToken).ConfigureAwait(false),
            "selfsubjectrulesreviews" => RulesReview(user, spec),
            _ => throw StatusException.NewGenericNotFound(),
        };

        var metadata = body["metadata"] as JsonObject ?? [];
        metadata["creationTimestamp"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var result = new JsonObject
        {
            ["kind"] = body["kind"]?.DeepClone(),
            ["apiVersion"] = body["apiVersion"]?.DeepClone(),
            ["metadata"] = metadata.DeepClone(),
        };
        if (resource != "selfsubjectreviews")
        {
            result["spec"] = spec.DeepClone();
        }

        result["status"] = status;
        return result;
    }

    private async Task<JsonObject> TokenReviewAsync(JsonObject spec, CancellationToken cancellationToken)
    {
        var token = spec["token"]?.GetValue<string>() ?? "";
        if (token.Length == 0)
        {
            throw StatusException.NewInvalid(AuthenticationGroup, "TokenReview", "",
                [new FieldError(FieldErrorType.Required, "spec.token", null, "")]);
        }

        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.GetValue<string>() ?? "").Where(a => a.Length > 0).ToArray();
        var result = await tokens.AuthenticateTokenAsync(token, audiences is { Length: > 0 } ? audiences : null, cancellationToken).ConfigureAwait(false);
        if (result.User is null)
        {
            return new JsonObject { ["user"] = new JsonObject(), ["error"] = result.Error ?? "invalid bearer token" };
        }

        var status = new JsonObject { ["authenticated"] = true, ["user"] = UserInfoJson(result.User) };
        if (audiences is { Length: > 0 })
        {
            status["audiences"] = new JsonArray(audiences.Select(a => (JsonNode)a).ToArray());
        }

        return status;
    }

    private static UserInfo SubjectOf(JsonObject spec)
    {
        var name = spec["user"]?.GetValue<string>() ?? "";
        var groups = Strings(spec["groups"]);
        if (name.Length == 0 && groups.Count == 0)
        {
            throw StatusException.NewInvalid(AuthorizationGroup, "SubjectAccessReview", "",
                [new FieldError(FieldErrorType.Invalid, "spec.user", "", "at least one of user or group must be specified")]);
        }

        Dictionary<string, IReadOnlyList<string>>? extra = null;
        if (spec["extra"] is JsonObject e)
        {
            extra = e.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)Strings(p.Value));
        }

        return new UserInfo(name, groups, spec["uid"]?.GetValue<string>() ?? "", extra);
    }

    private async Task<JsonObject> AccessReviewAsync(UserInfo user, JsonObject spec, string? localNamespace, CancellationToken cancellationToken)
    {
        var resourceAttributes = spec["resourceAttributes"] as JsonObject;
        var nonResourceAttributes = spec["nonResourceAttributes"] as JsonObject;
        if ((resourceAttributes is null) == (nonResourceAttributes is null))
        {
            throw StatusException.NewInvalid(AuthorizationGroup, "SelfSubjectAccessReview", "",
                [new FieldError(FieldErrorType.Invalid, "spec.resourceAttributes", null, "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }

        AuthorizationAttributes attributes;
        if (resourceAttributes is not null)
        {
            var ns = resourceAttributes.GetString("namespace") ?? "";
            if (localNamespace is not null && ns != localNamespace)
            {
                throw StatusException.NewBadRequest($"spec.resourceAttributes.namespace must match namespace: {localNamespace}");
            }

            attributes = new AuthorizationAttributes
            {
                User = user,
                IsResourceRequest = true,
                Verb = resourceAttributes.GetString("verb") ?? "",
                ApiGroup = resourceAttributes.GetString("group") ?? "",
                ApiVersion = resourceAttributes.GetString("version") ?? "",
                Resource = resourceAttributes.GetString("resource") ?? "",
                Subresource = resourceAttributes.GetString("subresource") ?? "",
                Namespace = ns,
                Name = resourceAttributes.GetString("name") ?? "",
            };
        }
        else
        {
            attributes = new AuthorizationAttributes
            {
                User = user,
                IsResourceRequest = false,
                Verb = (nonResourceAttributes!).GetString("verb") ?? "",
                Path = (nonResourceAttributes!).GetString("path") ?? "",
            };
        }

        var result = await authorizer.AuthorizeAsync(attributes, cancellationToken).ConfigureAwait(false);
        var status = new JsonObject { ["allowed"] = result.Decision == AuthorizationDecision.Allow };
        if (result.Decision == AuthorizationDecision.Deny)
        {
            status["denied"] = true;
        }

        if (result.Reason.Length > 0)
        {
            status["reason"] = result.Reason;
        }

        return status;
    }

    private JsonObject RulesReview(UserInfo user, JsonObject spec)
    {
        var rules = authorizer.RulesFor(user, spec["namespace"]?.GetValue<string>() ?? "");
        var status = new JsonObject
        {
            ["resourceRules"] = new JsonArray(rules.ResourceRules.Select(r =>
            {
                var o = new JsonObject { ["verbs"] = Array(r.Verbs) };
                if (r.ApiGroups.Count > 0)
                {
                    o["apiGroups"] = Array(r.ApiGroups);
                }

                if (r.Resources.Count > 0)
                {
                    o["resources"] = Array(r.Resources);
                }

                if (r.ResourceNames.Count > 0)
                {
                    o["resourceNames"] = Array(r.ResourceNames);
                }

                return (JsonNode)o;
            }).ToArray()),
            ["nonResourceRules"] = new JsonArray(rules.NonResourceRules.Select(r =>
                (JsonNode)new JsonObject { ["verbs"] = Array(r.Verbs), ["nonResourceURLs"] = Array(r.NonResourceUrls) }).ToArray()),
            ["incomplete"] = rules.Incomplete,
        };
        if (rules.EvaluationError.Length > 0)
        {
            status["evaluationError"] = rules.EvaluationError;
        }

        return status;
    }

    public static JsonObject UserInfoJson(UserInfo user)
    {
        var o = new JsonObject { ["username"] = user.Name };
        if (user.Uid.Length > 0)
        {
            o["uid"] = user.Uid;
        }

        if (user.Groups.Count > 0)
        {
            o["groups"] = Array(user.Groups);
        }

        if (user.Extra is { Count: > 0 } extra)
        {
            o["extra"] = new JsonObject(extra.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Array(p.Value))));
        }

        return o;
    }

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(v => v?.GetValue<string>() ?? "").ToList() : [];
}
