using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiServer.CustomResources;
using ApiServer.Registry;

namespace ApiServer.Printing;

/// <summary>
/// A custom resource's Table columns (apiextensions' table convertor): Name, then the version's
/// additionalPrinterColumns, each a JSONPath into the object printed by its type (date columns as an
/// age, as kubectl shows them); without columns, Name and Age. A path that finds nothing, or a value
/// not of the column's type, leaves the cell empty (null).
/// </summary>
internal static class CustomResourceColumns
{
    private static readonly ConditionalWeakTable<CustomResourceVersion, IReadOnlyList<TableColumn>> Columns = [];

    private static readonly CrdColumn DefaultAge = new("Age", "date", "", "How long ago the object was created.", 0, ".metadata.creationTimestamp");

    public static IReadOnlyList<TableColumn> For(CustomResourceVersion custom) => Columns.GetValue(custom, Make);

    private static IReadOnlyList<TableColumn> Make(CustomResourceVersion custom)
    {
        var columns = new List<TableColumn>
        {
            new("Name", "string", "name", "The name of the object, unique within its namespace.", 0, (o, _) => ObjectMeta.Name(o)),
        };
        foreach (var column in custom.Columns.Count > 0 ? custom.Columns : [DefaultAge])
        {
            JsonPathExpression? path;
            try
            {
                path = JsonPathExpression.Parse(column.JsonPath);
            }
            catch (FormatException)
            {
                // kube keeps the column and leaves its cells empty when the path does not parse.
                path = null;
            }

            var description = column.Description.Length > 0 ? column.Description : "Custom resource definition column (in JSONPath format): " + column.JsonPath;
            columns.Add(new TableColumn(column.Name, column.Type, column.Format, description, column.Priority, (o, now) => Cell(path, column.Type, o, now)));
        }

        return columns;
    }

    private static JsonNode? Cell(JsonPathExpression? path, string type, JsonObject obj, DateTimeOffset now)
    {
        if (path?.Evaluate(obj) is not { Count: > 0 } results || results[0] is not { } value)
        {
            return null;
        }

        switch (type)
        {
            case "string":
                return value.AsString() ?? value.ToJsonString();
            case "integer":
                return value is JsonValue i && i.TryGetValue<double>(out var n) ? (long)n : null;
            case "number":
                return value is JsonValue d && d.TryGetValue<double>(out var f) ? f : null;
            case "boolean":
                return value is JsonValue b && b.TryGetValue<bool>(out var flag) ? flag : null;
            case "date":
                if (value.AsString() is { } text)
                {
                    return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                        ? TableConvertor.HumanDuration(now - time)
                        : "<invalid>";
                }

                return null;
            default:
                return null;
        }
    }
}
