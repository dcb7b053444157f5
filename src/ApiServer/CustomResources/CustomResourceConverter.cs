using System.Text.Json.Nodes;
using Admission.Webhooks;
using ApiMachinery.Errors;
using ApiMachinery.Json;
using ApiServer.Registry;

namespace ApiServer.CustomResources;

/// <summary>
/// Converts custom resources between the versions of their CRD (apiextensions-apiserver pkg/apiserver/
/// conversion): strategy None rewrites apiVersion and keeps every field; strategy Webhook sends the
/// objects in a ConversionReview (v1) to the CRD's webhook and checks what comes back (count, version,
/// kind, identity), keeping the original metadata but labels and annotations. A failure is a 500
/// with kube's "conversion webhook for ... failed: ..." message.
/// </summary>
internal sealed class CustomResourceConverter(CustomResourceDefinitionInfo crd, WebhookClient? webhooks)
{
    /// <summary>kube's conversion webhooks get 30 seconds.</summary>
    private static readonly TimeSpan WebhookTimeout = TimeSpan.FromSeconds(30);

    public bool UsesWebhook => crd.Conversion.Strategy == "Webhook";

    /// <summary>Converts <paramref name="objects"/> in place (those already in <paramref name="apiVersion"/> are left alone).</summary>
    public async ValueTask ConvertAsync(IReadOnlyList<JsonObject> objects, string apiVersion, CancellationToken cancellationToken)
    {
        var toConvert = objects.Where(o => (o.GetString("apiVersion") ?? "") != apiVersion).ToList();
        if (toConvert.Count == 0)
        {
            return;
        }

        if (!UsesWebhook)
        {
            foreach (var obj in toConvert)
            {
                obj["apiVersion"] = apiVersion;
            }

            return;
        }

        var from = $"{toConvert[0].GetString("apiVersion") ?? ""}, Kind={toConvert[0].GetString("kind") ?? ""}";
        string Failed(string reason) => $"conversion webhook for {from} failed: {reason}";
        if (webhooks is null || crd.Conversion.ClientConfig is not { } clientConfig)
        {
            throw StatusException.NewUnknown(Failed("no webhook client configured"));
        }

        var uid = Guid.NewGuid().ToString();
        var review = new JsonObject
        {
            ["kind"] = "ConversionReview",
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["desiredAPIVersion"] = apiVersion,
                ["objects"] = new JsonArray(toConvert.Select(o => (JsonNode)o.DeepClone()).ToArray()),
            },
        };

        JsonObject answer;
        try
        {
            answer = await webhooks.PostAsync(WebhookDefinition.ParseClientConfig(clientConfig), review, WebhookTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw StatusException.NewUnknown(Failed(e.Message));
        }

        if (answer["apiVersion"]?.ToString() != "apiextensions.k8s.io/v1" || answer["kind"]?.ToString() != "ConversionReview")
        {
            throw StatusException.NewUnknown(Failed($"expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got {answer["apiVersion"]}, Kind={answer["kind"]}"));
        }

        if (answer["response"] is not JsonObject response)
        {
            throw StatusException.NewUnknown(Failed("no response provided"));
        }

        if (response["uid"]?.ToString() != uid)
        {
            throw StatusException.NewUnknown(Failed($"expected response.uid=\"{uid}\", got \"{response["uid"]}\""));
        }

        var result = response["result"]?["status"]?.ToString() ?? "";
        if (result != "Success")
        {
            var message = response["result"]?["message"]?.ToString();
            throw StatusException.NewUnknown(Failed(message is { Length: > 0 } ? message : $"response.result.status was '{result}', not 'Success'"));
        }

        var converted = (response["convertedObjects"] as JsonArray ?? []).ToList();
        if (converted.Count != toConvert.Count)
        {
            throw StatusException.NewUnknown($"conversion webhook for {from} returned {converted.Count} objects, expected {toConvert.Count}");
        }

        for (var i = 0; i < converted.Count; i++)
        {
            var original = toConvert[i];
            if (converted[i] is not JsonObject result0)
            {
                throw StatusException.NewUnknown($"conversion webhook for {from} returned invalid converted object at index {i}: not an object");
            }

            if ((result0.GetString("apiVersion") ?? "") != apiVersion)
            {
                throw StatusException.NewUnknown(
                    $"conversion webhook for {from} returned invalid converted object at index {i}: invalid groupVersion (expected {apiVersion}, received {result0.GetString("apiVersion") ?? ""})");
            }

            if ((result0.GetString("kind") ?? "") != (original.GetString("kind") ?? ""))
            {
                throw StatusException.NewUnknown(
                    $"conversion webhook for {from} returned invalid converted object at index {i}: invalid kind (expected {original.GetString("kind") ?? ""}, received {result0.GetString("kind") ?? ""})");
            }

            foreach (var (field, label) in new[] { ("name", "name"), ("namespace", "namespace"), ("uid", "UID") })
            {
                var expected = original.GetString("metadata", field) ?? "";
                var actual = result0.GetString("metadata", field) ?? "";
                if (expected != actual)
                {
                    throw StatusException.NewUnknown(
                        $"conversion webhook for {from} returned invalid metadata in object at index {i}: must have the same {label}: {expected} != {actual}");
                }
            }

            // Only labels and annotations may change; the rest of metadata is the original's.
            var metadata = (JsonObject)original["metadata"]!.DeepClone();
            foreach (var field in new[] { "labels", "annotations" })
            {
                if (result0["metadata"]?[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
                else
                {
                    metadata.Remove(field);
                }
            }

            original.Clear();
            foreach (var (key, value) in result0.ToList())
            {
                result0.Remove(key);
                original[key] = key == "metadata" ? metadata : value;
            }
        }
    }
}
