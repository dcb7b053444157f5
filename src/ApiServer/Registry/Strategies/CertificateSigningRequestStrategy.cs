using System.Text.Json.Nodes;
using ApiMachinery.Authentication;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Validation;
using ApiServer.Registry.Validation;

namespace ApiServer.Registry.Strategies;

/// <summary>
/// CertificateSigningRequests (kube's pkg/registry/certificates/certificates/strategy.go): the
/// requester is whoever created the request (spec.username, uid, groups, extra come from the
/// authenticated, possibly impersonated, user and never from the client); a request starts with no
/// conditions; the main resource changes only metadata; /status sets the certificate and conditions
/// other than Approved and Denied; /approval sets the conditions alone. Condition timestamps left
/// empty are filled in.
/// </summary>
internal sealed class CertificateSigningRequestStrategy(ResourceDefinition resource, TimeProvider? time = null) : ResourceStrategy(resource)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override IEnumerable<string> KindFields => ["spec.signerName"];

    public override void PrepareForCreate(JsonObject obj, UserInfo user)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        obj["spec"] = spec;
        spec.Remove("username");
        spec.Remove("uid");
        spec.Remove("groups");
        spec.Remove("extra");
        spec["username"] = user.Name;
        if (user.Uid.Length > 0)
        {
            spec["uid"] = user.Uid;
        }

        if (user.Groups.Count > 0)
        {
            spec["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode)g)]);
        }

        if (user.Extra is { Count: > 0 } extra)
        {
            var values = new JsonObject();
            foreach (var (key, list) in extra)
            {
                values[key] = new JsonArray([.. list.Select(v => (JsonNode)v)]);
            }

            spec["extra"] = values;
        }

        // Nobody creates a request that is already approved.
        obj["status"] = new JsonObject();
    }

    public override void PrepareForCreate(JsonObject obj) => PrepareForCreate(obj, UserInfo.AnonymousUser);

    /// <summary>Requests are immutable after creation except through their subresources.</summary>
    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        Keep(obj, old, "spec");
        Keep(obj, old, "status");
    }

    /// <summary>csrStatusStrategy: the spec stays; Approved and Denied conditions keep their stored values.</summary>
    public override JsonObject PrepareForStatusUpdate(JsonObject obj, JsonObject old)
    {
        var result = base.PrepareForStatusUpdate(obj, old);
        var status = result["status"] as JsonObject;
        var conditions = status?["conditions"] as JsonArray;
        if (conditions is not null)
        {
            foreach (var type in new[] { "Approved", "Denied" })
            {
                PreserveConditionInstances(conditions, old, type);
            }

            PopulateConditionTimestamps(conditions, old);
        }

        return result;
    }

    /// <summary>csrApprovalStrategy: only status.conditions change; the rest is the stored request.</summary>
    public override JsonObject PrepareForSubresourceUpdate(string subresource, JsonObject obj, JsonObject old)
    {
        if (subresource != "approval")
        {
            return obj;
        }

        var conditions = (obj["status"] as JsonObject)?["conditions"]?.DeepClone() as JsonArray;
        if (conditions is not null)
        {
            PopulateConditionTimestamps(conditions, old);
        }

        Keep(obj, old, "spec");
        Keep(obj, old, "status");
        var status = obj["status"] as JsonObject ?? [];
        obj["status"] = status;
        if (conditions is not null)
        {
            status["conditions"] = conditions;
        }
        else
        {
            status.Remove("conditions");
        }

        return obj;
    }

    public override IEnumerable<FieldError> ValidateSubresourceUpdate(string subresource, JsonObject obj, JsonObject old)
    {
        if (subresource != "approval")
        {
            return base.ValidateSubresourceUpdate(subresource, obj, old);
        }

        var errs = new List<FieldError>();
        CertificatesValidation.CertificateSigningRequestApprovalUpdate(obj, old, errs);
        return errs;
    }

    private static void Keep(JsonObject obj, JsonObject old, string field)
    {
        if (old[field] is { } value)
        {
            obj[field] = value.DeepClone();
        }
        else
        {
            obj.Remove(field);
        }
    }

    /// <summary>preserveConditionInstances: when the update has as many conditions of the type as stored, they are the stored ones.</summary>
    private static void PreserveConditionInstances(JsonArray conditions, JsonObject old, string type)
    {
        var oldConditions = (old["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (c.GetString("type") ?? "") == type).ToList();
        var indices = conditions.Select((c, i) => (c, i)).Where(p => (p.c.GetString("type") ?? "") == type).Select(p => p.i).ToList();
        if (indices.Count != oldConditions.Count)
        {
            return;
        }

        for (var i = 0; i < indices.Count; i++)
        {
            conditions[indices[i]] = oldConditions[i].DeepClone();
        }
    }

    /// <summary>populateConditionTimestamps: lastUpdateTime now; lastTransitionTime kept from a stored condition of the same type and status, else now.</summary>
    private void PopulateConditionTimestamps(JsonArray conditions, JsonObject old)
    {
        var now = ObjectMeta.FormatTime(_time.GetUtcNow());
        var oldConditions = (old["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var condition in conditions.OfType<JsonObject>())
        {
            if ((condition.GetString("lastUpdateTime") ?? "").Length == 0)
            {
                condition["lastUpdateTime"] = now;
            }

            if ((condition.GetString("lastTransitionTime") ?? "").Length == 0)
            {
                var same = oldConditions.FirstOrDefault(o => (o.GetString("type") ?? "") == (condition.GetString("type") ?? "")
                    && (o.GetString("status") ?? "") == (condition.GetString("status") ?? "")
                    && (o.GetString("lastTransitionTime") ?? "").Length > 0);
                condition["lastTransitionTime"] = same is null ? now : same.GetString("lastTransitionTime") ?? "";
            }
        }
    }
}
