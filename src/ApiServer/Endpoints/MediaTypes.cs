using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Serialization;
using ApiMachinery.Protobuf;
using ApiServer.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ApiServer.Endpoints;

/// <summary>What content negotiation chose for an answer: its format, pretty output, and the transformation asked for.</summary>
internal readonly record struct OutputMediaType(WireFormat Format, bool Pretty, MediaConversion? Convert);

/// <summary>
/// A transformation of the answer named by a media type's <c>as</c>, <c>g</c> and <c>v</c> parameters
/// (kube's MediaTypeOptions.Convert): a meta.k8s.io Table, PartialObjectMetadata or
/// PartialObjectMetadataList, in v1 or v1beta1.
/// </summary>
internal sealed record MediaConversion(string Kind, string Group, string Version)
{
    public const string MetaGroup = "meta.k8s.io";

    public bool IsTable => Kind == "Table";

    public bool IsPartialObjectMetadata => Kind == PartialObjectMetadata.Kind;

    public bool IsPartialObjectMetadataList => Kind == PartialObjectMetadata.ListKind;

    /// <summary>The apiVersion the transformed answer carries: meta.k8s.io/v1 or meta.k8s.io/v1beta1.</summary>
    public string ApiVersion => $"{Group}/{Version}";

    /// <summary>
    /// Whether this server produces the transformation in <paramref name="format"/> (kube's
    /// AllowsMediaTypeTransform): metadata-only answers in any format it writes, Tables as JSON
    /// (kube also writes YAML Tables; this server does not).
    /// </summary>
    public bool IsServedIn(WireFormat format) =>
        Group == MetaGroup && Version is "v1" or "v1beta1" && Kind switch
        {
            "Table" => format == WireFormat.Json,
            PartialObjectMetadata.Kind or PartialObjectMetadata.ListKind => true,
            _ => false,
        };
}

/// <summary>The serializations the server speaks, and how requests and responses pick one.</summary>
internal enum WireFormat
{
    Json,
    Yaml,
    /// <summary>Kubernetes protobuf: accepted in request bodies (client-go's typed clients send it); answers are JSON or YAML.</summary>
    Protobuf,
}

/// <summary>
/// Request-body decoding and response encoding with kube-apiserver's content negotiation:
/// JSON and YAML in, JSON and YAML out, 415 for a body in another format, 406 when nothing the
/// client accepts can be produced, 413 over the body limit.
/// </summary>
internal static class MediaTypes
{
    public const string Json = "application/json";
    public const string Yaml = "application/yaml";
    public const string Protobuf = "application/vnd.kubernetes.protobuf";

    private static readonly string[] AcceptedList = [Json, Yaml, Protobuf];

    /// <summary>Reads and parses the request body as one JSON object.</summary>
    /// <param name="duplicates">collects the paths of fields a JSON body repeats (the last value is kept).</param>
    /// <param name="strictYaml">a YAML body that repeats a key is refused (fieldValidation=Strict), with
    /// go-yaml's "yaml: unmarshal errors" message after <paramref name="strictPrefix"/>.</param>
    public static async Task<JsonObject> ReadObjectAsync(
        HttpRequest request, long maxBytes, CancellationToken cancellationToken, List<string>? duplicates = null, bool strictYaml = false, string strictPrefix = "")
    {
        var format = RequestFormat(request.ContentType);
        var bytes = await ReadBodyAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        if (strictYaml && format == WireFormat.Yaml)
        {
            try
            {
                YamlJson.ToJsonNode(Encoding.UTF8.GetString(bytes), strict: true);
            }
            catch (YamlJsonException e) when (e.Message.StartsWith("yaml: unmarshal errors:", StringComparison.Ordinal))
            {
                throw StatusException.NewBadRequest(strictPrefix + "strict decoding error: " + e.Message);
            }
            catch (Exception)
            {
                // Other YAML errors are reported by the ordinary parse below.
            }
        }

        return Parse(bytes, format, duplicates);
    }

    public static WireFormat RequestFormat(string? contentType)
    {
        // No Content-Type means the first supported type, JSON, as kube-apiserver negotiates it
        // (client-go's scale client sends its PUT without one).
        if (string.IsNullOrEmpty(contentType))
        {
            return WireFormat.Json;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            throw UnsupportedMediaType(contentType ?? "");
        }

        return media.MediaType.Value?.ToLowerInvariant() switch
        {
            Json => WireFormat.Json,
            Yaml or "application/x-yaml" or "text/yaml" => WireFormat.Yaml,
            Protobuf => WireFormat.Protobuf,
            _ => throw UnsupportedMediaType(contentType),
        };
    }

    /// <summary>
    /// The whole request body as one array of exactly its size. Reads the body's pipe and copies
    /// once at the end: a chunk buffer plus a growing MemoryStream had made reading a 1 KB pod the
    /// largest allocation of a create (16 KB per request).
    /// </summary>
    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.End);
                throw TooLarge(maxBytes);
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("reading the request body was canceled", cancellationToken);
            }

            if (result.IsCompleted)
            {
                var bytes = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            // Nothing consumed, everything examined: the next read returns once more has arrived.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public static JsonObject Parse(byte[] bytes, WireFormat format, List<string>? duplicates = null)
    {
        if (bytes.Length == 0)
        {
            throw StatusException.NewBadRequest("the body of the request was empty");
        }

        if (format == WireFormat.Protobuf)
        {
            try
            {
                return KubeProtobuf.Decode(bytes);
            }
            catch (ProtobufDecodeException e)
            {
                throw StatusException.NewBadRequest($"error decoding protobuf request body: {e.Message}");
            }
        }

        if (format == WireFormat.Yaml && YamlJson.Utf8Problem(bytes) is { } problem)
        {
            // go-yaml reads only valid UTF-8 (JSON bodies are read as Go's JSON decoder reads them instead).
            throw StatusException.NewBadRequest($"error converting YAML to JSON: yaml: {problem}");
        }

        try
        {
            var node = format == WireFormat.Json
                ? JsonInput.Parse(bytes, ObjectCodec.MaxDepth, duplicates)
                : YamlJson.ToJsonNode(Encoding.UTF8.GetString(bytes));
            return node as JsonObject ?? throw StatusException.NewBadRequest("the body of the request must be an object");
        }
        catch (JsonException e)
        {
            throw StatusException.NewBadRequest($"error decoding request body: {e.Message}");
        }
        catch (Exception e) when (e is not StatusException && format == WireFormat.Yaml)
        {
            throw StatusException.NewBadRequest($"error converting YAML to JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The Table version (v1 or v1beta1) when the client's first acceptable choice is a
    /// meta.k8s.io Table, as kubectl get asks; null otherwise (also when nothing is acceptable:
    /// the answer is then a 406 from <see cref="ResponseFormat"/>).
    /// </summary>
    public static string? TableVersion(HttpRequest request)
    {
        try
        {
            return Output(request).Convert is { IsTable: true } table ? table.Version : null;
        }
        catch (StatusException)
        {
            return null;
        }
    }

    /// <summary>The response format for an Accept header; JSON when any is acceptable.</summary>
    public static WireFormat ResponseFormat(HttpRequest request) => Output(request).Format;

    /// <summary>
    /// What the Accept header picks (kube's NegotiateOutputMediaType): the format, whether it asks
    /// for pretty output (<c>application/json;pretty=1</c>), and the transformation its as/g/v
    /// parameters name. The first acceptable media range wins, in order of quality; a range whose
    /// transformation this server cannot produce is passed over, and 406 when none is left.
    /// </summary>
    public static OutputMediaType Output(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(accept))
        {
            return new OutputMediaType(WireFormat.Json, false, null);
        }

        // Only parameters can ask for a transformation or pretty output; the common Accept headers
        // have none and are decided without keeping anything.
        if (!accept.Contains(';', StringComparison.Ordinal))
        {
            return Negotiate(accept);
        }

        var items = request.HttpContext.Items;
        if (items.TryGetValue(NegotiatedKey, out var cached) && cached is OutputMediaType known)
        {
            return known;
        }

        var output = Negotiate(accept);
        items[NegotiatedKey] = output;
        return output;
    }

    private static readonly object NegotiatedKey = new();

    /// <summary>
    /// The format of an error's Status. kube negotiates it allowing no transformation, so a media
    /// range that asks for one (a Table, PartialObjectMetadata) is passed over, and JSON is written
    /// when nothing else is acceptable.
    /// </summary>
    public static WireFormat ErrorFormat(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        try
        {
            return string.IsNullOrWhiteSpace(accept) ? WireFormat.Json : Negotiate(accept, allowConversions: false).Format;
        }
        catch (StatusException)
        {
            return WireFormat.Json;
        }
    }

    private static OutputMediaType Negotiate(string accept, bool allowConversions = true)
    {
        if (!MediaTypeHeaderValue.TryParseList(accept.Split(','), out var ranges))
        {
            return new OutputMediaType(WireFormat.Json, false, null);
        }

        foreach (var range in ranges.OrderByDescending(r => r.Quality ?? 1.0))
        {
            string? Param(string name) => range.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value.Value;
            var pretty = Param("pretty") == "1";
            WireFormat format;
            switch (range.MediaType.Value?.ToLowerInvariant())
            {
                case Json or "application/*" or "*/*":
                    format = WireFormat.Json;
                    break;
                case Yaml:
                    format = WireFormat.Yaml;
                    break;
                default:
                    // Protobuf answers are not written (requests may be protobuf); the next range decides.
                    continue;
            }

            var (kind, group, version) = (Param("as"), Param("g"), Param("v"));
            if (kind is null && group is null && version is null)
            {
                return new OutputMediaType(format, pretty, null);
            }

            var convert = new MediaConversion(kind ?? "", group ?? "", version ?? "");
            if (allowConversions && convert.IsServedIn(format))
            {
                return new OutputMediaType(format, pretty, convert);
            }
        }

        throw StatusException.NewNotAcceptable(AcceptedList);
    }

    /// <summary>
    /// Whether JSON answers are indented, as kube-apiserver's negotiation decides: a <c>pretty=1</c>
    /// parameter on the accepted media type, else the <c>pretty</c> query parameter (read as Go's
    /// strconv.ParseBool reads it), else a User-Agent of curl, Wget or a browser.
    /// </summary>
    public static bool IsPretty(HttpRequest request)
    {
        // Every JSON answer asks; only an Accept header that mentions pretty is parsed again.
        if (request.Headers.Accept.ToString().Contains("pretty", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                if (Output(request).Pretty)
                {
                    return true;
                }
            }
            catch (StatusException)
            {
            }
        }

        if (request.Query["pretty"].FirstOrDefault() is { Length: > 0 } pretty)
        {
            return pretty is "1" or "t" or "T" or "true" or "TRUE" or "True";
        }

        var userAgent = request.Headers.UserAgent.ToString();
        return userAgent.StartsWith("curl", StringComparison.Ordinal) || userAgent.StartsWith("Wget", StringComparison.Ordinal)
            || userAgent.StartsWith("Mozilla/5.0", StringComparison.Ordinal);
    }

    public static async Task WriteAsync(HttpContext context, int statusCode, JsonNode body, WireFormat format, string? contentType = null)
    {
        context.Response.StatusCode = statusCode;
        if (format == WireFormat.Yaml)
        {
            context.Response.ContentType = Yaml;
            await context.Response.WriteAsync(YamlJson.FromJsonNode(body), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, statusCode, ObjectCodec.Serialize(body), contentType ?? Json).ConfigureAwait(false);
    }

    /// <summary>A write's answer: as JSON, the bytes it stored with the revision spliced in; else the object encoded.</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, Written written, WireFormat format)
    {
        if (format == WireFormat.Json && written.Json is { } json)
        {
            await WriteAsync(context, statusCode, json).ConfigureAwait(false);
            return;
        }

        await WriteAsync(context, statusCode, written.Object, format).ConfigureAwait(false);
    }

    /// <summary>JSON already served-ready (stored bytes with their resourceVersion), written as it is.</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, ServedJson json)
    {
        if (IsPretty(context.Request))
        {
            var buffer = new ArrayBufferWriter<byte>(json.Length);
            json.WriteTo(buffer);
            await WriteJsonAsync(context, statusCode, buffer.WrittenSpan.ToArray(), Json).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = statusCode;
        context.Response.ContentType = Json;
        context.Response.ContentLength = json.Length + 1;
        json.WriteTo(context.Response.BodyWriter);
        context.Response.BodyWriter.Write(Newline);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteAsync(HttpContext context, int statusCode, JsonNode body) =>
        WriteAsync(context, statusCode, body, ResponseFormat(context.Request));

    /// <summary>The newline Go's json.Encoder writes after every value: kube's JSON answers end with it.</summary>
    public static ReadOnlySpan<byte> Newline => "\n"u8;

    /// <summary>
    /// Writes compact JSON as kube-apiserver's serializer does: followed by a newline (json.Encoder),
    /// or, when the request asks for pretty output, indented by two spaces without one (json.MarshalIndent).
    /// </summary>
    public static async Task WriteJsonAsync(HttpContext context, int statusCode, byte[] compact, string contentType)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        if (IsPretty(context.Request))
        {
            var indented = Indent(compact);
            response.ContentLength = indented.Length;
            await response.Body.WriteAsync(indented, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.ContentLength = compact.Length + 1;
        response.BodyWriter.Write(compact);
        response.BodyWriter.Write(Newline);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Compact JSON indented as Go's json.MarshalIndent(v, "", "  ") writes it.</summary>
    public static byte[] Indent(ReadOnlySpan<byte> compact)
    {
        var node = JsonNode.Parse(compact, documentOptions: new JsonDocumentOptions { MaxDepth = ObjectCodec.MaxDepth });
        var buffer = new ArrayBufferWriter<byte>(compact.Length * 2);
        using (var writer = new Utf8JsonWriter(buffer, ObjectCodec.WriterOptions with { Indented = true, IndentSize = 2, IndentCharacter = ' ', NewLine = "\n" }))
        {
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer, ObjectCodec.JsonOptions);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static StatusException UnsupportedMediaType(string contentType) =>
        StatusException.NewUnsupportedMediaType(AcceptedList);

    private static StatusException TooLarge(long maxBytes) =>
        StatusException.NewRequestEntityTooLarge($"limit is {maxBytes}");
}
