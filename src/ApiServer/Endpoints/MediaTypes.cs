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
    /// meta.k8s.io Table, as kubectl get asks; null otherwise.
    /// </summary>
    public static string? TableVersion(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (accept.Length == 0 || !MediaTypeHeaderValue.TryParseList(accept.Split(','), out var ranges))
        {
            return null;
        }

        foreach (var range in ranges)
        {
            string? Param(string name) => range.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value.Value;
            var mediaType = range.MediaType.Value?.ToLowerInvariant();
            if (Param("as") is not null)
            {
                if (IsServedTable(range))
                {
                    return Param("v");
                }

                continue;
            }

            if (mediaType is Json or Yaml or "application/*" or "*/*")
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsServedTable(MediaTypeHeaderValue range)
    {
        string? Param(string name) => range.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value.Value;
        return range.MediaType.Value?.ToLowerInvariant() is Json && Param("as") == "Table" && Param("g") == "meta.k8s.io" && Param("v") is "v1" or "v1beta1";
    }

    /// <summary>The response format for an Accept header; JSON when any is acceptable.</summary>
    public static WireFormat ResponseFormat(HttpRequest request) => Negotiate(request).Format;

    /// <summary>
    /// The format the Accept header picks, and whether the picked media type asks for pretty output
    /// (<c>application/json;pretty=1</c>).
    /// </summary>
    private static (WireFormat Format, bool Pretty) Negotiate(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(accept))
        {
            return (WireFormat.Json, false);
        }

        if (!MediaTypeHeaderValue.TryParseList(accept.Split(','), out var ranges))
        {
            return (WireFormat.Json, false);
        }

        foreach (var range in ranges.OrderByDescending(r => r.Quality ?? 1.0))
        {
            var pretty = range.Parameters.Any(p => p.Name.Equals("pretty", StringComparison.OrdinalIgnoreCase) && p.Value == "1");
            if (range.Parameters.Any(p => p.Name.Equals("as", StringComparison.OrdinalIgnoreCase)))
            {
                // A meta.k8s.io Table in JSON is served (get and list answer it, TableOptions); it is
                // JSON on the wire, so a client that accepts only a Table is not refused. Other
                // transformations (PartialObjectMetadata) are not served: the next range decides.
                if (IsServedTable(range))
                {
                    return (WireFormat.Json, pretty);
                }

                continue;
            }

            switch (range.MediaType.Value?.ToLowerInvariant())
            {
                case Json or "application/*" or "*/*":
                    return (WireFormat.Json, pretty);
                case Yaml:
                    return (WireFormat.Yaml, pretty);
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
                if (Negotiate(request).Pretty)
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
