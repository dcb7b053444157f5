using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ApiExtensions.Schema;

namespace Bench;

/// <summary>
/// `--only crd-schema`: what a custom resource's schema costs per object in-process (no server, no etcd): pruning,
/// defaulting and validation (OpenAPI value validation, list types, two x-kubernetes-validations rules) of a
/// ~30-field object against its compiled schema, next to the JSON parse and copy of the same object as a yardstick.
/// Single-threaded; the issue's target is under 0.1 ms per object.
/// </summary>
internal static class CrdSchemaBench
{
    private const string SchemaJson = """
    {"type":"object","properties":{
      "apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},
      "spec":{"type":"object","required":["image","replicas"],
        "x-kubernetes-validations":[
          {"rule":"self.minReplicas <= self.replicas","message":"replicas must be at least minReplicas"},
          {"rule":"self.ports.all(p, p.port > 0 && p.port < 65536)","message":"ports must be valid"}],
        "properties":{
          "image":{"type":"string","minLength":1,"maxLength":255},
          "replicas":{"type":"integer","format":"int32","minimum":0,"maximum":1000},
          "minReplicas":{"type":"integer","format":"int32","minimum":0,"default":1},
          "paused":{"type":"boolean","default":false},
          "strategy":{"type":"string","enum":["Recreate","RollingUpdate"],"default":"RollingUpdate"},
          "maxSurge":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
          "timeoutSeconds":{"type":"integer","minimum":1,"maximum":3600},
          "priority":{"type":"number","minimum":0},
          "hostname":{"type":"string","maxLength":63,"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
          "owner":{"type":"string","format":"email"},
          "tags":{"type":"array","maxItems":16,"x-kubernetes-list-type":"set","items":{"type":"string","maxLength":32}},
          "ports":{"type":"array","maxItems":8,"x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
            "items":{"type":"object","required":["name","port"],"properties":{
              "name":{"type":"string","maxLength":15},"port":{"type":"integer"},
              "protocol":{"type":"string","enum":["TCP","UDP","SCTP"],"default":"TCP"}}}},
          "resources":{"type":"object","properties":{
            "cpu":{"x-kubernetes-int-or-string":true},"memory":{"x-kubernetes-int-or-string":true}}},
          "env":{"type":"array","maxItems":32,"items":{"type":"object","required":["name"],"properties":{
            "name":{"type":"string","maxLength":64},"value":{"type":"string","maxLength":1024}}}},
          "labels":{"type":"object","maxProperties":16,"additionalProperties":{"type":"string","maxLength":63}},
          "storage":{"type":"object","properties":{
            "size":{"type":"string"},"class":{"type":"string"},"accessMode":{"type":"string","enum":["ReadWriteOnce","ReadOnlyMany","ReadWriteMany"]}}},
          "schedule":{"type":"string"},
          "suspend":{"type":"boolean"}}},
      "status":{"type":"object","properties":{
        "phase":{"type":"string"},"readyReplicas":{"type":"integer"},
        "conditions":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["type"],
          "items":{"type":"object","required":["type","status"],"properties":{
            "type":{"type":"string"},"status":{"type":"string","enum":["True","False","Unknown"]},
            "reason":{"type":"string"},"message":{"type":"string"},"lastTransitionTime":{"type":"string","format":"date-time"}}}}}}}}
    """;

    private const string ObjectJson = """
    {"apiVersion":"bench.example.com/v1","kind":"Widget","metadata":{"name":"w-1","namespace":"default","labels":{"app":"bench"}},
     "spec":{"image":"registry.example.com/app:1.2.3","replicas":3,"maxSurge":"25%","timeoutSeconds":30,"priority":1.5,
       "hostname":"widget-1","owner":"ops@example.com","tags":["a","b","c"],
       "ports":[{"name":"http","port":8080},{"name":"metrics","port":9090,"protocol":"TCP"}],
       "resources":{"cpu":"500m","memory":"256Mi"},
       "env":[{"name":"MODE","value":"fast"},{"name":"LEVEL","value":"3"}],
       "labels":{"team":"web","tier":"frontend"},
       "storage":{"size":"10Gi","class":"fast","accessMode":"ReadWriteOnce"},
       "schedule":"*/5 * * * *","suspend":false,"unknownField":{"dropped":true}},
     "status":{"phase":"Running","readyReplicas":3,"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}
    """;

    public static async Task RunAsync(string output, bool quick)
    {
        var load = ProcStats.LoadAverage();
        var schema = CustomResourceSchema.Compile((JsonObject)JsonNode.Parse(SchemaJson)!);
        // A parsed JsonNode is lazy until walked; walk it so clone and prune measure what they do to a decoded body.
        var template = (JsonObject)JsonNode.Parse(ObjectJson)!;
        template = (JsonObject)JsonNode.Parse(template.ToJsonString())!;
        Materialize(template);
        var bytes = Encoding.UTF8.GetBytes(ObjectJson);
        var iterations = quick ? 20_000 : 100_000;

        // Sanity: the pipeline does what the server will make it do.
        var probe = (JsonObject)template.DeepClone();
        var unknown = schema.Prune(probe);
        schema.ApplyDefaults(probe);
        var errors = schema.Validate(probe, null);
        if (unknown.Count != 1 || errors.Count != 0)
        {
            throw new InvalidOperationException($"bench object: unknown {string.Join(",", unknown)}, errors {string.Join("; ", errors)}");
        }

        double Measure(Action op)
        {
            for (var i = 0; i < iterations / 10; i++)
            {
                op();
            }
            var best = double.MaxValue;
            for (var round = 0; round < 3; round++)
            {
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++)
                {
                    op();
                }
                best = Math.Min(best, sw.Elapsed.TotalMicroseconds / iterations);
            }
            return best;
        }

        var parse = Measure(() => JsonNode.Parse(bytes));
        var clone = Measure(() => template.DeepClone());
        var prune = Measure(() => schema.Prune((JsonObject)template.DeepClone())) - clone;
        var withDefaults = Measure(() =>
        {
            var o = (JsonObject)template.DeepClone();
            schema.Prune(o);
            schema.ApplyDefaults(o);
        }) - clone;
        var defaults = withDefaults - prune;
        var pruned = (JsonObject)template.DeepClone();
        schema.Prune(pruned);
        schema.ApplyDefaults(pruned);
        var validate = Measure(() => schema.Validate(pruned, null));
        var validateUpdate = Measure(() => schema.Validate(pruned, pruned));
        var total = prune + defaults + validate;
        var openApi = Measure(() => ValueValidator.Validate(schema.Root, pruned, null, new List<ApiMachinery.Validation.FieldError>()));
        var listTypes = Measure(() => ListTypeValidation.Validate(pruned, schema.Root, null, new List<ApiMachinery.Validation.FieldError>()));
        var cel = Measure(() => CelValidation.Validate(schema.Root, pruned, null, new List<ApiMachinery.Validation.FieldError>()));

        var md = new StringBuilder();
        md.AppendLine("# CRD schema per-object cost (bench `--only crd-schema`)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Commit `{Git("rev-parse --short HEAD")}`; {Environment.ProcessorCount} cores; load average before `{load}`, after `{ProcStats.LoadAverage()}`; {iterations:N0} iterations, best of 3 rounds, one thread.");
        md.AppendLine("- Object: ~30 fields (nested objects, a list-map, a set, int-or-string, enums, a pattern, a format), 2 CEL rules on `spec`, 1 unknown field pruned, 3 defaults applied.");
        md.AppendLine();
        md.AppendLine("| step | µs per object |");
        md.AppendLine("|---|---:|");
        void Row(string name, double us) => md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {us:0.0} |");
        Row("JSON parse of the object (yardstick)", parse);
        Row("DeepClone of the object (yardstick; excluded below)", clone);
        Row("Prune", prune);
        Row("ApplyDefaults", defaults);
        Row("Validate (create: OpenAPI + list types + 2 CEL rules)", validate);
        Row("  of which OpenAPI value validation", openApi);
        Row("  of which list-type uniqueness", listTypes);
        Row("  of which the 2 CEL rules", cel);
        Row("Validate (update, old = new: + transition/ratcheting checks)", validateUpdate);
        Row("**prune + defaults + validate (create)**", total);
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Target: under 100 µs per object — {(total < 100 ? "met" : "NOT met")} ({total:0.0} µs).");
        await File.WriteAllTextAsync(output, md.ToString());
        Console.Write(md.ToString());
        Console.WriteLine($"wrote {output}");
    }

    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o)
                {
                    Materialize(v);
                }
                break;
            case JsonArray a:
                foreach (var v in a)
                {
                    Materialize(v);
                }
                break;
        }
    }

    private static string Git(string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return s;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
