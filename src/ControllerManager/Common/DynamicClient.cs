using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClientTools.Cache;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControllerManager.Common;

/// <summary>A served resource as discovery describes it (group, version, plural name, kind, scope).</summary>
internal sealed record ApiResource(string Group, string Version, string Resource, string Kind, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The collection's path, in <paramref name="ns"/> when namespaced and given.</summary>
    public string Path(string? ns = null, string? name = null)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        var collection = Namespaced && !string.IsNullOrEmpty(ns) ? $"{root}/namespaces/{ns}/{Resource}" : $"{root}/{Resource}";
        return name is null ? collection : $"{collection}/{name}";
    }
}

/// <summary>Any object, read for its type and metadata only (what the garbage collector needs of every resource).</summary>
internal sealed class PartialObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}

/// <summary>
/// client-go's dynamic and metadata clients, on the official client's HTTP pipeline and credentials:
/// discovery of every served resource (custom resources included), list/watch of any resource as
/// <see cref="PartialObject"/>s (asking for metadata only, as client-go's metadata informers do), get,
/// merge-patch and delete by path.
/// </summary>
internal sealed class DynamicClient(IKubernetes client)
{
    /// <summary>
    /// client-go's metadata client's Accept for one object and for a list: metadata only, else the whole
    /// object (a server that cannot transform, e.g. an aggregated one, answers that; only metadata is read).
    /// </summary>
    internal const string MetadataAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

    internal const string MetadataListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

    private readonly Kubernetes _client = (Kubernetes)client;

    /// <summary>Every top-level resource of the preferred version of each group that supports <paramref name="verbs"/>.</summary>
    public async Task<List<ApiResource>> DiscoverAsync(IReadOnlyCollection<string> verbs, CancellationToken cancellationToken)
    {
        var resources = new List<ApiResource>();
        var groupVersions = new List<(string Group, string Version)> { ("", "v1") };
        var groups = await GetJsonAsync("/apis", cancellationToken).ConfigureAwait(false);
        foreach (var group in groups?["groups"]?.AsArray() ?? [])
        {
            if (group?["preferredVersion"]?["version"]?.GetValue<string>() is { } version)
            {
                groupVersions.Add((group["name"]!.GetValue<string>(), version));
            }
        }

        foreach (var (group, version) in groupVersions)
        {
            var list = await GetJsonAsync(group.Length == 0 ? "/api/v1" : $"/apis/{group}/{version}", cancellationToken).ConfigureAwait(false);
            foreach (var r in list?["resources"]?.AsArray() ?? [])
            {
                var name = r!["name"]!.GetValue<string>();
                var supported = r["verbs"]?.AsArray().Select(v => v!.GetValue<string>()).ToHashSet() ?? [];
                if (name.Contains('/', StringComparison.Ordinal) || !verbs.All(supported.Contains))
                {
                    continue;
                }

                resources.Add(new ApiResource(group, version, name, r["kind"]!.GetValue<string>(), r["namespaced"]?.GetValue<bool>() == true));
            }
        }

        return resources;
    }

    public IListerWatcher<PartialObject> ListerWatcher(ApiResource resource) => new DynamicListerWatcher(this, resource);

    public async Task<JsonObject?> GetJsonAsync(string path, CancellationToken cancellationToken) =>
        await GetJsonAsync(path, null, cancellationToken).ConfigureAwait(false);

    /// <summary>An object with at least its metadata (only its metadata from a server that can send just that); null when it is not found.</summary>
    public Task<JsonObject?> GetMetadataAsync(string path, CancellationToken cancellationToken) => GetJsonAsync(path, MetadataAccept, cancellationToken);

    private async Task<JsonObject?> GetJsonAsync(string path, string? accept, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, cancellationToken, accept: accept).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response).ConfigureAwait(false);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)) as JsonObject;
    }

    public async Task MergePatchAsync(string path, JsonObject patch, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, patch.ToJsonString(), "application/merge-patch+json", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response).ConfigureAwait(false);
    }

    /// <summary>Deletes with kube's DeleteOptions: a propagation policy and the uid as precondition.</summary>
    public async Task DeleteAsync(string path, string uid, string propagationPolicy, CancellationToken cancellationToken)
    {
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["propagationPolicy"] = propagationPolicy,
            ["preconditions"] = new JsonObject { ["uid"] = uid },
        };
        using var response = await SendAsync(HttpMethod.Delete, path, options.ToJsonString(), "application/json", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response).ConfigureAwait(false);
    }

    internal async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string pathAndQuery, string? body, string? contentType, CancellationToken cancellationToken, bool stream = false, string? accept = null)
    {
        var request = new HttpRequestMessage(method, new Uri(_client.BaseUri, pathAndQuery));
        if (accept is null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        }
        else
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
        }

        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return await _client.HttpClient.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var content = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        throw new HttpOperationException($"{(int)response.StatusCode} {response.StatusCode}: {content}")
        {
            Response = new HttpResponseMessageWrapper(response, content),
        };
    }

    private sealed class DynamicListerWatcher(DynamicClient client, ApiResource resource) : IListerWatcher<PartialObject>
    {
        public async Task<ListPage<PartialObject>> ListAsync(ListOptions options, CancellationToken cancellationToken)
        {
            var query = Query(options, watch: false);
            using var response = await client.SendAsync(HttpMethod.Get, resource.Path() + query, null, null, cancellationToken, accept: MetadataListAccept).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                throw new ResourceExpiredException(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version" });
            }

            await EnsureSuccessAsync(response).ConfigureAwait(false);
            var list = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
            var items = list["items"]?.AsArray().Select(i => Read(i!)).ToList() ?? [];
            return new ListPage<PartialObject>(items, list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", list["metadata"]?["continue"]?.GetValue<string>());
        }

        public async IAsyncEnumerable<(WatchEventType Type, PartialObject Object)> WatchAsync(ListOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            using var response = await client.SendAsync(
                HttpMethod.Get, resource.Path() + Query(options, watch: true), null, null, cancellationToken, stream: true, accept: MetadataAccept).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                throw new ResourceExpiredException(new V1Status { Code = 410, Reason = "Expired" });
            }

            await EnsureSuccessAsync(response).ConfigureAwait(false);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                var ev = JsonNode.Parse(line)!;
                var type = ev["type"]!.GetValue<string>();
                if (type == "ERROR")
                {
                    var status = KubernetesJson.Deserialize<V1Status>(ev["object"]!.ToJsonString());
                    throw status.Code == 410 ? new ResourceExpiredException(status) : new WatchErrorException(status);
                }

                var parsed = Enum.Parse<WatchEventType>(type, ignoreCase: true);
                yield return (parsed, Read(ev["object"]!));
            }
        }

        private PartialObject Read(JsonNode item)
        {
            return new PartialObject
            {
                ApiVersion = resource.ApiVersion,
                Kind = resource.Kind,
                Metadata = item["metadata"] is { } meta ? KubernetesJson.Deserialize<V1ObjectMeta>(meta.ToJsonString()) : new V1ObjectMeta(),
            };
        }

        private static string Query(ListOptions o, bool watch)
        {
            var parts = new List<string>();
            if (watch)
            {
                parts.Add("watch=true");
            }

            if (o.ResourceVersion is { } rv)
            {
                parts.Add("resourceVersion=" + Uri.EscapeDataString(rv));
            }

            if (o.Limit is { } limit)
            {
                parts.Add($"limit={limit}");
            }

            if (o.Continue is { } c)
            {
                parts.Add("continue=" + Uri.EscapeDataString(c));
            }

            if (o.AllowWatchBookmarks == true)
            {
                parts.Add("allowWatchBookmarks=true");
            }

            if (o.TimeoutSeconds is { } t)
            {
                parts.Add($"timeoutSeconds={t}");
            }

            return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
        }
    }
}
