using System.Globalization;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Authentication;
using ApiServer.Options;

namespace ApiServer.Registry.Reviews;

/// <summary>
/// serviceaccounts/token (TokenRequest, kube's pkg/registry/core/serviceaccount/storage/token.go):
/// a bound service-account JWT for the audiences asked for (default: the server's), valid for
/// <c>spec.expirationSeconds</c> (default one hour, at least ten minutes, at most
/// --service-account-max-token-expiration), optionally bound to a Pod, Secret or Node whose uid is
/// written into the token. Nothing is stored.
/// </summary>
internal sealed class TokenRequestRegistry(Lazy<RegistryCatalog> registry, ServiceAccountTokens tokens, ApiServerOptions options, TimeProvider time)
{
    private const long DefaultExpirationSeconds = 3600;
    private const long MinimumExpirationSeconds = 600;

    public async Task<JsonObject> CreateAsync(string ns, string serviceAccountName, JsonObject body, CancellationToken cancellationToken)
    {
        if (!tokens.CanIssue)
        {
            throw StatusException.NewNotFound("", "serviceaccounts/token", serviceAccountName);
        }

        if (ObjectMeta.Name(body) is { Length: > 0 } named && named != serviceAccountName)
        {
            throw StatusException.NewBadRequest($"the name of the object ({named}) does not match the name on the URL ({serviceAccountName})");
        }

        var serviceAccount = await GetAsync("serviceaccounts", ns, serviceAccountName, cancellationToken).ConfigureAwait(false)
            ?? throw StatusException.NewNotFound("", "serviceaccounts", serviceAccountName);

        var spec = body["spec"] as JsonObject ?? [];
        var errors = new List<FieldError>();
        var expiration = spec["expirationSeconds"] is JsonValue e && e.TryGetValue<long>(out var seconds) ? seconds : DefaultExpirationSeconds;
        if (expiration < MinimumExpirationSeconds)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.expirationSeconds", expiration, "may not specify a duration less than 10 minutes"));
        }
        else if (expiration > (long)TimeSpan.FromDays(365 * 232).TotalSeconds)
        {
            errors.Add(new FieldError(FieldErrorType.TooLong, "spec.expirationSeconds", expiration, "may not specify a duration larger than 2^32 seconds"));
        }

        var max = options.Authentication.ServiceAccountMaxTokenExpiration;
        if (max > TimeSpan.Zero && expiration > max.TotalSeconds)
        {
            expiration = (long)max.TotalSeconds;
        }

        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.GetValue<string>() ?? "").Where(a => a.Length > 0).ToArray() ?? [];
        if (audiences.Length == 0)
        {
            audiences = options.Authentication.EffectiveApiAudiences.ToArray();
        }

        JsonObject? pod = null, secret = null, node = null;
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            var kind = bound["kind"]?.GetValue<string>() ?? "";
            var name = bound["name"]?.GetValue<string>() ?? "";
            var uid = bound["uid"]?.GetValue<string>() ?? "";
            var (resource, scoped) = kind switch
            {
                "Pod" => ("pods", true),
                "Secret" => ("secrets", true),
                "Node" => ("nodes", false),
                _ => ("", false),
            };
            if (resource.Length == 0)
            {
                errors.Add(new FieldError(FieldErrorType.NotSupported, "spec.boundObjectRef.kind", kind, "supported values: \"Pod\", \"Secret\", \"Node\""));
            }
            else if (errors.Count == 0)
            {
                var target = await GetAsync(resource, scoped ? ns : "", name, cancellationToken).ConfigureAwait(false)
                    ?? throw StatusException.NewNotFound("", resource, name);
                if (uid.Length > 0 && uid != ObjectMeta.Uid(target))
                {
                    throw StatusException.NewConflict("", resource, name,
                        $"the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated");
                }

                switch (kind)
                {
                    case "Pod":
                        pod = target;
                        break;
                    case "Secret":
                        secret = target;
                        break;
                    default:
                        node = target;
                        break;
                }

                bound["uid"] = ObjectMeta.Uid(target);
            }
        }

        if (errors.Count > 0)
        {
            throw StatusException.NewInvalid("authentication.k8s.io", "TokenRequest", serviceAccountName, errors);
        }

        var (token, expires) = tokens.Issue(serviceAccount, audiences, expiration, pod, secret, node);
        spec["audiences"] = new JsonArray(audiences.Select(a => (JsonNode)a).ToArray());
        spec["expirationSeconds"] = expiration;
        return new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = serviceAccountName,
                ["namespace"] = ns,
                ["creationTimestamp"] = Timestamp(time.GetUtcNow()),
            },
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = Timestamp(expires),
            },
        };
    }

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private async Task<JsonObject?> GetAsync(string resource, string ns, string name, CancellationToken cancellationToken)
    {
        var store = registry.Value.Find("", "v1", resource) ?? throw new InvalidOperationException($"{resource} are not served");
        try
        {
            return await store.GetAsync(ns, name, cancellationToken).ConfigureAwait(false);
        }
        catch (StatusException e) when (e.Code == 404)
        {
            return null;
        }
    }
}
