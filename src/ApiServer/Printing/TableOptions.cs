using ApiMachinery.Errors;
using ApiServer.Endpoints;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Printing;

/// <summary>A request for Table output: the Table version and includeObject (None, Metadata (default), Object).</summary>
internal readonly record struct TableOptions(string Version, string IncludeObject)
{
    public string ApiVersion => $"meta.k8s.io/{Version}";

    public string ContentType => $"application/json;as=Table;v={Version};g=meta.k8s.io";

    /// <summary>Null unless the client's first acceptable media type is a Table.</summary>
    public static TableOptions? FromRequest(HttpRequest request)
    {
        var version = MediaTypes.TableVersion(request);
        if (version is null)
        {
            return null;
        }

        var include = request.Query["includeObject"].ToString();
        if (include.Length == 0)
        {
            include = "Metadata";
        }
        else if (include is not ("None" or "Metadata" or "Object"))
        {
            throw StatusException.NewBadRequest($"includeObject: Unsupported value: \"{include}\": supported values: \"None\", \"Metadata\", \"Object\"");
        }

        return new TableOptions(version, include);
    }
}
