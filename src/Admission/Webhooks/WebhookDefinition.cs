using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Selectors;

namespace Admission.Webhooks;

/// <summary>One rule of a webhook (admissionregistration.k8s.io/v1 RuleWithOperations).</summary>
public sealed record WebhookRule(
    IReadOnlyList<string> Operations,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> ApiVersions,
    IReadOnlyList<string> Resources,
    string Scope);

/// <summary>Where a webhook is: a URL, or a service in the cluster (https://name.namespace.svc:port/path).</summary>
public sealed record WebhookClientConfig(string? Url, string? ServiceNamespace, string? ServiceName, string ServicePath, int ServicePort, string CaBundle)
{
    public Uri Endpoint => Url is not null
        ? new Uri(Url)
        : new Uri($"https://{ServiceName}.{ServiceNamespace}.svc:{ServicePort}{(ServicePath.Length == 0 ? "/" : ServicePath)}");
}

/// <summary>
/// One webhook of a Mutating- or ValidatingWebhookConfiguration, with kube's defaults applied
/// (failurePolicy Fail, matchPolicy Equivalent, timeoutSeconds 10, reinvocationPolicy Never,
/// empty selectors match everything).
/// </summary>
public sealed record WebhookDefinition(
    string Name,
    string ConfigurationName,
    int Index,
    WebhookClientConfig ClientConfig,
    IReadOnlyList<WebhookRule> Rules,
    bool FailOpen,
    bool MatchExact,
    LabelSelector NamespaceSelector,
    LabelSelector ObjectSelector,
    string SideEffects,
    int TimeoutSeconds,
    bool ReinvokeIfNeeded,
    int MatchConditionCount)
{
    /// <summary>kube's webhook UID: configuration/webhook/index, unique across configurations.</summary>
    public string Uid => $"{ConfigurationName}/{Name}/{Index}";

    /// <summary>Every webhook of one configuration object, in order.</summary>
    public static IEnumerable<WebhookDefinition> FromConfiguration(JsonObject configuration)
    {
        var configName = configuration["metadata"]?["name"]?.GetValue<string>() ?? "";
        var index = 0;
        foreach (var hook in (configuration["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            yield return Parse(configName, index++, hook);
        }
    }

    private static WebhookDefinition Parse(string configName, int index, JsonObject hook)
    {
        var config = ParseClientConfig(hook["clientConfig"] as JsonObject ?? []);

        var rules = (hook["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(r => new WebhookRule(
            List(r, "operations"), List(r, "apiGroups"), List(r, "apiVersions"), List(r, "resources"),
            r.GetString("scope") is { Length: > 0 } scope ? scope : "*")).ToArray();

        return new WebhookDefinition(
            hook.GetString("name") ?? "",
            configName,
            index,
            config,
            rules,
            FailOpen: hook.GetString("failurePolicy") == "Ignore",
            MatchExact: hook.GetString("matchPolicy") == "Exact",
            NamespaceSelector: Selector(hook["namespaceSelector"]),
            ObjectSelector: Selector(hook["objectSelector"]),
            SideEffects: hook.GetString("sideEffects") ?? "",
            TimeoutSeconds: hook["timeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var seconds) ? seconds : 10,
            ReinvokeIfNeeded: hook.GetString("reinvocationPolicy") == "IfNeeded",
            MatchConditionCount: (hook["matchConditions"] as JsonArray)?.Count ?? 0);
    }

    /// <summary>A webhook clientConfig (url, or service with port 443 by default; caBundle as PEM), as admission and CRD conversion webhooks have it.</summary>
    public static WebhookClientConfig ParseClientConfig(JsonObject client)
    {
        var service = client["service"] as JsonObject;
        var caBundle = client.GetString("caBundle") ?? "";
        return new WebhookClientConfig(
            client.GetString("url") is { Length: > 0 } url ? url : null,
            service is null ? null : service.GetString("namespace") ?? "",
            service is null ? null : service.GetString("name") ?? "",
            service is null ? "" : service.GetString("path") ?? "",
            service?["port"] is JsonValue p && p.TryGetValue<int>(out var port) ? port : 443,
            caBundle.Length == 0 ? "" : DecodeCaBundle(caBundle));
    }

    private static LabelSelector Selector(JsonNode? node)
    {
        if (node is not JsonObject selector)
        {
            return LabelSelector.Everything;
        }

        try
        {
            return LabelSelector.FromLabelSelectorJson(selector);
        }
        catch (Exception e) when (e is SelectorParseException or FormatException or ArgumentException)
        {
            // Validation refuses such selectors; one that slipped in selects nothing rather than everything.
            return LabelSelector.Nothing;
        }
    }

    /// <summary>caBundle is base64 of PEM on the wire.</summary>
    private static string DecodeCaBundle(string value)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value));
        }
        catch (FormatException)
        {
            return value;
        }
    }

    private static string[] List(JsonObject o, string name) =>
        (o[name] as JsonArray ?? []).Select(n => n?.ToString() ?? "").ToArray();
}

/// <summary>The webhooks configured now, kept current from the stored configurations.</summary>
public interface IWebhookSource
{
    /// <summary>Mutating webhooks, ordered by configuration name, then position.</summary>
    IReadOnlyList<WebhookDefinition> Mutating { get; }

    /// <summary>Validating webhooks, ordered by configuration name, then position.</summary>
    IReadOnlyList<WebhookDefinition> Validating { get; }
}

/// <summary>Resolves a service reference to an address to connect to (the service's endpoints).</summary>
public interface IWebhookServiceResolver
{
    /// <summary>The host and port to dial for https://name.namespace.svc:port; null when the service has no usable endpoint.</summary>
    ValueTask<(string Host, int Port)?> ResolveAsync(string ns, string name, int port, CancellationToken cancellationToken);
}
