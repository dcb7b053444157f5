using System.Text.Json.Nodes;
using ApiMachinery.FieldManagement;
using ApiMachinery.Schema;
using ApiMachinery.Serialization;

namespace ApiMachinery.Tests.FieldManagement;

public sealed class FieldManagerTests
{
    private static readonly DefinitionSchema Deployment = SchemaFacts.Builtin.ForKind("apps", "v1", "Deployment")!;
    private static readonly DefinitionSchema ConfigMap = SchemaFacts.Builtin.ForKind("", "v1", "ConfigMap")!;
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static FieldManagerContext Context(string manager, DefinitionSchema? schema = null) =>
        new(manager, schema == ConfigMap ? "v1" : "apps/v1", "", schema ?? Deployment, Now);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Fields(JsonObject obj, string manager) =>
        (JsonObject)obj["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == manager)!["fieldsV1"]!;

    private const string Live = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"d","uid":"u1","resourceVersion":"5"},
         "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"a","image":"x:1"}]}}}}
        """;

    [Fact]
    public void FieldSet_RoundTripsFieldsV1_WithTheDotForMembersWithChildren()
    {
        var json = """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}}}}""";
        var set = FieldSet.FromFieldsV1(Obj(json));
        Assert.True(set.Has(["f:metadata", "f:labels"]));
        Assert.True(set.Has(["f:metadata", "f:labels", "f:app"]));
        Assert.False(set.Has(["f:spec"]));
        Assert.Equal(json, set.ToFieldsV1().ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void FieldSet_SetOperations()
    {
        var a = FieldSet.FromFieldsV1(Obj("""{"f:a":{},"f:b":{"f:c":{},"f:d":{}}}"""));
        var b = FieldSet.FromFieldsV1(Obj("""{"f:b":{"f:c":{}},"f:e":{}}"""));
        Assert.Equal("""{"f:a":{},"f:b":{"f:d":{}}}""", a.Difference(b).ToFieldsV1().ToJsonString(GoJsonEncoder.SerializerOptions));
        Assert.Equal("""{"f:b":{"f:c":{}}}""", a.Intersection(b).ToFieldsV1().ToJsonString(GoJsonEncoder.SerializerOptions));
        Assert.Equal("""{"f:a":{},"f:b":{"f:c":{},"f:d":{}},"f:e":{}}""", a.Union(b).ToFieldsV1().ToJsonString(GoJsonEncoder.SerializerOptions));
        Assert.Equal(".b.c", PathElements.Readable(a.Intersection(b).Members().Single()));
        Assert.Equal(".spec.containers[name=\"a\"].ports[containerPort=80,protocol=\"TCP\"]",
            PathElements.Readable(["f:spec", "f:containers", "k:{\"name\":\"a\"}", "f:ports", "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]));
        // A key a client wrote badly is shown as it is rather than failing the request.
        Assert.Equal(".spec[{bad]", PathElements.Readable(["f:spec", "k:{bad"]));
    }

    [Fact]
    public void ToFieldSet_ItemsAndMapEntriesAreMembers_StructsAreParents_AtomicValuesAreLeaves()
    {
        var obj = Obj("""
            {"metadata":{"labels":{"app":"web"},"finalizers":["x"]},
             "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"spec":{"containers":[{"name":"a","args":["1","2"],"resources":{}}]}}}}
            """);
        var set = TypedValues.ToFieldSet(obj, FieldShape.Of(Deployment));
        Assert.Equal(
            """{"f:metadata":{"f:finalizers":{"v:\"x\"":{}},"f:labels":{"f:app":{}}},"f:spec":{"f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:args":{},"f:name":{},"f:resources":{}}}}}}}""",
            set.ToFieldsV1().ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void Update_OnCreate_OwnsWhatWasSet_AndOptionalMapsThemselves()
    {
        var cm = Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"a":"1"}},"data":{"k":"v"}}""");
        FieldManager.Update(null, cm, Context("kubectl-create", ConfigMap));
        var entry = cm["metadata"]!["managedFields"]![0]!;
        Assert.Equal("kubectl-create", entry["manager"]!.GetValue<string>());
        Assert.Equal("Update", entry["operation"]!.GetValue<string>());
        Assert.Equal("v1", entry["apiVersion"]!.GetValue<string>());
        Assert.Equal("2026-12-02T10:00:00Z", entry["time"]!.GetValue<string>());
        Assert.Equal("""{"f:data":{".":{},"f:k":{}},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}""", entry["fieldsV1"]!.ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void Update_TakesChangedFieldsFromOtherManagers_AndDropsRemovedOnes()
    {
        var live = Obj(Live);
        FieldManager.Update(null, live, Context("creator"));
        var updated = (JsonObject)live.DeepClone();
        updated["spec"]!["replicas"] = 3;
        updated["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject().Remove("image");
        FieldManager.Update(live, updated, Context("scaler"));

        Assert.Equal("""{"f:spec":{"f:replicas":{}}}""", Fields(updated, "scaler").ToJsonString(GoJsonEncoder.SerializerOptions));
        var creator = Fields(updated, "creator").ToJsonString(GoJsonEncoder.SerializerOptions);
        Assert.DoesNotContain("f:replicas", creator);
        Assert.DoesNotContain("f:image", creator);
        Assert.Contains("f:name", creator);
    }

    [Fact]
    public void Apply_MergesKeyedListsAndMaps_AndOwnsExactlyTheConfiguration()
    {
        var live = Obj(Live);
        var config = Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
             "spec":{"template":{"spec":{"containers":[{"name":"b","image":"y:1"}]}}}}
            """);
        var result = FieldManager.Apply(live, config, Context("applier"), force: false);

        Assert.Equal(1, result["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(["a", "b"], result["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("u1", result["metadata"]!["uid"]!.GetValue<string>());
        var fields = Fields(result, "applier").ToJsonString(GoJsonEncoder.SerializerOptions);
        Assert.Contains("k:{\\\"name\\\":\\\"b\\\"}", fields);
        Assert.DoesNotContain("f:replicas", fields);
        // The live fields nobody had applied belong to the first apply's stand-in.
        Assert.Contains("f:replicas", Fields(result, FieldManager.BeforeFirstApply).ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void Apply_ConflictsOnlyWhereTheValueChanges_AndForceTakesOwnership()
    {
        // Forced: the live replicas belong to the stand-in manager of fields set before any apply.
        var first = FieldManager.Apply(Obj(Live), Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}"""), Context("one"), true);

        // The same value: no conflict, shared ownership.
        var shared = FieldManager.Apply(first, Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}"""), Context("two"), false);
        Assert.NotNull(Fields(shared, "one")["f:spec"]!["f:replicas"]);
        Assert.NotNull(Fields(shared, "two")["f:spec"]!["f:replicas"]);

        var config = Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":7}}""");
        var conflict = Assert.Throws<FieldManagerConflictException>(() => FieldManager.Apply(shared, config, Context("three"), false));
        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"one\":\n- .spec.replicas\nconflicts with \"two\":\n- .spec.replicas",
            conflict.Message);

        var forced = FieldManager.Apply(shared, config, Context("three"), true);
        Assert.Equal(7, forced["spec"]!["replicas"]!.GetValue<int>());
        var managers = forced["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>()).ToList();
        Assert.Contains("three", managers);
        Assert.DoesNotContain("one", managers);
        Assert.DoesNotContain("two", managers);
    }

    [Fact]
    public void Apply_RemovesWhatTheApplierNoLongerApplies_KeepsWhatOthersOwn()
    {
        var applied = FieldManager.Apply(Obj(Live), Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"x":"1","y":"2"}},
             "spec":{"template":{"spec":{"containers":[{"name":"a","image":"x:1","env":[{"name":"E","value":"1"}]},{"name":"side","image":"s"}]}}}}
            """), Context("app"), false);
        // Another manager co-owns label y.
        var coOwned = FieldManager.Apply(applied, Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"y":"2"}}}"""), Context("labeler"), false);

        var next = FieldManager.Apply(coOwned, Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"template":{"spec":{"containers":[{"name":"a","image":"x:1"}]}}}}
            """), Context("app"), false);

        Assert.Equal("""{"y":"2"}""", next["metadata"]!["labels"]!.ToJsonString(GoJsonEncoder.SerializerOptions));
        var containers = next["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Single(containers);
        Assert.Null(containers[0]!["env"]);
        // The stand-in owned replicas from before the first apply: it stays.
        Assert.Equal(1, next["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void Apply_SetsAreUnions_AtomicListsAreReplaced()
    {
        var live = Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","finalizers":["a"]}}""");
        var result = FieldManager.Apply(live, Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","finalizers":["b"]}}"""), Context("m", ConfigMap), false);
        Assert.Equal("""["a","b"]""", result["metadata"]!["finalizers"]!.ToJsonString(GoJsonEncoder.SerializerOptions));

        var dep = FieldManager.Apply(Obj(Live), Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"a","args":["new"]}]}}}}"""), Context("m"), false);
        var again = FieldManager.Apply(dep, Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"a","args":["newer","x"]}]}}}}"""), Context("m"), false);
        Assert.Equal("""["newer","x"]""", again["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.ToJsonString(GoJsonEncoder.SerializerOptions));
    }

    [Fact]
    public void UpdateManagers_AreCappedAtTen_TheOldestMergingIntoAncientChanges()
    {
        var cm = Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{}}""");
        for (var i = 0; i < 12; i++)
        {
            var next = (JsonObject)cm.DeepClone();
            next["data"]![$"k{i}"] = "v";
            FieldManager.Update(cm, next, Context($"writer-{i}", ConfigMap) with { Now = Now.AddMinutes(i) });
            cm = next;
        }

        var managers = cm["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>()).ToList();
        Assert.Equal(FieldManager.MaxUpdateManagers, managers.Count);
        Assert.Contains(FieldManager.AncientChanges, managers);
        Assert.DoesNotContain("writer-0", managers);
        Assert.Contains("writer-11", managers);
        var ancient = Fields(cm, FieldManager.AncientChanges).ToJsonString(GoJsonEncoder.SerializerOptions);
        Assert.Contains("f:k0", ancient);
        Assert.Contains("f:k2", ancient);
    }

    [Fact]
    public void KubectlApply_AfterClientSideApply_TakesOverWhatTheAnnotationStillDescribes_AndKeepsItCurrent()
    {
        const string lastApplied = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}""";
        var live = Obj(Live);
        live["spec"]!["replicas"] = 2;
        live["metadata"]!["annotations"] = new JsonObject { [FieldManager.LastAppliedAnnotation] = lastApplied + "\n" };
        FieldManager.Update(null, live, Context("kubectl-client-side-apply"));

        var config = Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":4,"paused":false}}""");
        var applied = FieldManager.Apply(live, config, Context("kubectl"), force: false);
        Assert.Equal(4, applied["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"paused":false,"replicas":4}}""" + "\n",
            applied["metadata"]!["annotations"]![FieldManager.LastAppliedAnnotation]!.GetValue<string>());

        // Once someone else changed the value, the annotation no longer speaks for it: a conflict.
        var changed = (JsonObject)live.DeepClone();
        changed["spec"]!["replicas"] = 3;
        FieldManager.Update(live, changed, Context("kubectl-client-side-apply"));
        Assert.Throws<FieldManagerConflictException>(() => FieldManager.Apply(changed, config, Context("kubectl"), force: false));
    }
}
