using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Patch;

namespace Admission.Webhooks;

/// <summary>What the two webhook plugins share: which webhooks to call and how a call is made.</summary>
public abstract class WebhookPluginBase(IWebhookSource source, WebhookMatcher matcher, WebhookClient client)
{
    protected IWebhookSource Source { get; } = source;

    public bool Handles(AdmissionOperation operation) => true;

    /// <summary>Rules first, then the namespace selector, then the object selector, as kube checks them.</summary>
    protected async ValueTask<bool> ShouldCallAsync(WebhookDefinition hook, AdmissionAttributes a, CancellationToken cancellationToken) =>
        WebhookMatcher.MatchesRules(hook, a)
        && await matcher.MatchesNamespaceAsync(hook, a, cancellationToken).ConfigureAwait(false)
        && WebhookMatcher.MatchesObject(hook, a);

    /// <summary>
    /// Calls the webhook; null when it could not be called and its failurePolicy is Ignore.
    /// A webhook with side effects refuses a dry run (400) without being called.
    /// </summary>
    protected async Task<WebhookResponse?> CallAsync(WebhookDefinition hook, AdmissionAttributes a, bool mutating, CancellationToken cancellationToken)
    {
        if (a.DryRun && hook.SideEffects is not ("None" or "NoneOnDryRun"))
        {
            throw StatusException.NewBadRequest($"admission webhook \"{hook.Name}\" does not support dry run");
        }

        var uid = Guid.NewGuid().ToString();
        try
        {
            var response = await client.CallAsync(hook, Review(a, uid), uid, mutating, cancellationToken).ConfigureAwait(false);
            foreach (var warning in response.Warnings)
            {
                a.AddWarning(warning);
            }

            return response;
        }
        catch (WebhookCallException e)
        {
            if (hook.FailOpen)
            {
                return null;
            }

            throw StatusException.NewInternalError(e.Message);
        }
    }

    /// <summary>AdmissionReview v1, as kube-apiserver sends it.</summary>
    private static JsonObject Review(AdmissionAttributes a, string uid)
    {
        var kind = new JsonObject { ["group"] = a.Group, ["version"] = a.Version, ["kind"] = a.Kind };
        var resource = new JsonObject { ["group"] = a.Group, ["version"] = a.Version, ["resource"] = a.Resource };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = kind,
            ["resource"] = resource,
        };
        if (a.Subresource.Length > 0)
        {
            request["subResource"] = a.Subresource;
        }

        request["requestKind"] = kind.DeepClone();
        request["requestResource"] = resource.DeepClone();
        if (a.Subresource.Length > 0)
        {
            request["requestSubResource"] = a.Subresource;
        }

        if (a.Name.Length > 0)
        {
            request["name"] = a.Name;
        }

        if (a.Namespace.Length > 0)
        {
            request["namespace"] = a.Namespace;
        }

        request["operation"] = WebhookMatcher.OperationName(a.Operation);
        var user = new JsonObject { ["username"] = a.UserInfo.Name };
        if (a.UserInfo.Uid.Length > 0)
        {
            user["uid"] = a.UserInfo.Uid;
        }

        if (a.UserInfo.Groups.Count > 0)
        {
            user["groups"] = new JsonArray(a.UserInfo.Groups.Select(g => (JsonNode)JsonValue.Create(g)).ToArray());
        }

        if (a.UserInfo.Extra is { Count: > 0 } extra)
        {
            var extras = new JsonObject();
            foreach (var (k, values) in extra)
            {
                extras[k] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
            }

            user["extra"] = extras;
        }

        request["userInfo"] = user;
        request["object"] = a.Object?.DeepClone();
        request["oldObject"] = a.OldObject?.DeepClone();
        request["dryRun"] = a.DryRun;
        request["options"] = a.Options?.DeepClone() ?? DefaultOptions(a.Operation, a.DryRun);
        return new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/v1",
            ["request"] = request,
        };
    }

    private static JsonObject DefaultOptions(AdmissionOperation operation, bool dryRun)
    {
        var options = new JsonObject
        {
            ["kind"] = operation switch
            {
                AdmissionOperation.Create => "CreateOptions",
                AdmissionOperation.Update => "UpdateOptions",
                AdmissionOperation.Delete => "DeleteOptions",
                _ => "ConnectOptions",
            },
            ["apiVersion"] = "meta.k8s.io/v1",
        };
        if (dryRun)
        {
            options["dryRun"] = new JsonArray("All");
        }

        return options;
    }
}

/// <summary>
/// kube-apiserver's MutatingAdmissionWebhook: calls the matching mutating webhooks one after the
/// other, applying each JSONPatch before the next is called. A webhook that changed the object asks
/// the chain for a second pass, in which only webhooks with reinvocationPolicy IfNeeded that ran
/// before are called again (and only if something changed after them).
/// </summary>
public sealed class MutatingWebhookPlugin(IWebhookSource source, WebhookMatcher matcher, WebhookClient client)
    : WebhookPluginBase(source, matcher, client), IMutatingAdmissionPlugin
{
    public string Name => AdmissionPlugins.MutatingAdmissionWebhook;

    public async ValueTask AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        var hooks = Source.Mutating;
        if (hooks.Count == 0)
        {
            return;
        }

        var state = attributes.Reinvocation.Value<ReinvocationState>(Name);
        if (attributes.Reinvocation.IsReinvoke && !JsonNode.DeepEquals(state.LastOutput, attributes.Object))
        {
            // In-tree plugins changed the object in the second pass: everyone reinvocable runs again.
            state.RequireReinvokingPrevious();
        }

        try
        {
            foreach (var hook in hooks)
            {
                if (!await ShouldCallAsync(hook, attributes, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                if (attributes.Reinvocation.IsReinvoke && !state.Reinvoke.Contains(hook.Uid))
                {
                    continue;
                }

                var response = await CallAsync(hook, attributes, mutating: true, cancellationToken).ConfigureAwait(false);
                var changed = false;
                if (response is not null)
                {
                    if (!response.Allowed)
                    {
                        throw WebhookDenial.ToStatusException(hook.Name, response.Status);
                    }

                    if (response.Patch is { Count: > 0 } patch)
                    {
                        changed = ApplyPatch(hook, attributes, patch);
                    }
                }

                if (changed)
                {
                    state.RequireReinvokingPrevious();
                    attributes.Reinvocation.RequestReinvoke();
                }

                if (hook.ReinvokeIfNeeded)
                {
                    state.PreviouslyInvoked.Add(hook.Uid);
                }
            }
        }
        finally
        {
            state.LastOutput = attributes.Object?.DeepClone();
        }
    }

    private static bool ApplyPatch(WebhookDefinition hook, AdmissionAttributes attributes, JsonArray patch)
    {
        if (attributes.Object is not { } obj)
        {
            throw StatusException.NewInternalError($"admission webhook \"{hook.Name}\" attempted to modify the object, which is not supported for this operation");
        }

        JsonObject patched;
        try
        {
            patched = JsonPatch.Apply(obj.DeepClone(), patch) as JsonObject
                ?? throw new PatchException("the patch did not produce an object");
        }
        catch (Exception e) when (e is PatchException or InvalidOperationException or FormatException)
        {
            throw StatusException.NewInternalError(e.Message);
        }

        if (JsonNode.DeepEquals(patched, obj))
        {
            return false;
        }

        // The attributes hold the object by reference: change it in place.
        obj.Clear();
        foreach (var (key, value) in patched.ToList())
        {
            patched.Remove(key);
            obj[key] = value;
        }

        attributes.Default(obj);
        return true;
    }

    private sealed class ReinvocationState
    {
        public HashSet<string> PreviouslyInvoked { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Reinvoke { get; } = new(StringComparer.Ordinal);

        public JsonNode? LastOutput { get; set; }

        public void RequireReinvokingPrevious()
        {
            Reinvoke.UnionWith(PreviouslyInvoked);
            PreviouslyInvoked.Clear();
        }
    }
}

/// <summary>
/// kube-apiserver's ValidatingAdmissionWebhook: calls every matching validating webhook in parallel;
/// the first refusal (in webhook order) is the answer.
/// </summary>
public sealed class ValidatingWebhookPlugin(IWebhookSource source, WebhookMatcher matcher, WebhookClient client)
    : WebhookPluginBase(source, matcher, client), IValidatingAdmissionPlugin
{
    public string Name => AdmissionPlugins.ValidatingAdmissionWebhook;

    public async ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        var hooks = Source.Validating;
        if (hooks.Count == 0)
        {
            return;
        }

        var calls = new List<Task<WebhookResponse?>>();
        var called = new List<WebhookDefinition>();
        foreach (var hook in hooks)
        {
            if (await ShouldCallAsync(hook, attributes, cancellationToken).ConfigureAwait(false))
            {
                called.Add(hook);
                calls.Add(CallAsync(hook, attributes, mutating: false, cancellationToken));
            }
        }

        try
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
        }
        catch (StatusException)
        {
            // Reported below, in webhook order.
        }

        for (var i = 0; i < calls.Count; i++)
        {
            var response = await calls[i].ConfigureAwait(false);
            if (response is { Allowed: false })
            {
                throw WebhookDenial.ToStatusException(called[i].Name, response.Status);
            }
        }
    }
}
