using System.Text.Json.Nodes;
using ApiServer.Printing;
using ApiServer.Registry;
using ApiServer.Registry.Defaulting;
using ApiServer.Registry.Strategies;

namespace ApiServer.Tests.Registry;

/// <summary>
/// The per-kind registrations (BuiltinKinds) against the generated resource table: a served resource
/// without a registration, or a registration of something not served, fails here; and each concern
/// that used to keep its own switch reads the registration.
/// </summary>
public sealed class BuiltinKindsTests
{
    private static readonly ResourceTable Table = ResourceTable.LoadBuiltin();

    [Fact]
    public void EveryServedResource_HasARegistration_OfItsKind()
    {
        var missing = Table.All
            .Where(r => BuiltinKinds.Find(r) is not { } k || k.Kind != r.Kind)
            .Select(r => $"{r.Group}/{r.Version} {r.Plural} ({r.Kind})")
            .ToList();
        Assert.True(missing.Count == 0, "served without a registration in BuiltinKinds: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryRegistration_IsAServedResource_Once()
    {
        var served = Table.All.Select(r => (r.Group, r.Plural)).ToHashSet();
        var stale = BuiltinKinds.All.Where(k => !served.Contains((k.Group, k.Plural))).Select(k => $"{k.Group}/{k.Plural}").ToList();
        Assert.True(stale.Count == 0, "registered but not served: " + string.Join(", ", stale));
        Assert.Equal(BuiltinKinds.All.Count, BuiltinKinds.All.Select(k => (k.Group, k.Plural)).Distinct().Count());
    }

    [Fact]
    public void Concerns_ReadTheRegistration()
    {
        ResourceDefinition R(string group, string plural) => Table.All.First(r => r.Group == group && r.Plural == plural);

        Assert.IsType<PodStrategy>(StrategyFactory.For(R("", "pods")));
        Assert.Equal(typeof(ResourceStrategy), StrategyFactory.For(R("", "configmaps")).GetType());
        Assert.True(StrategyFactory.For(R("", "services")).ReturnDeletedObject);
        Assert.False(StrategyFactory.For(R("", "configmaps")).ReturnDeletedObject);
        Assert.True(StrategyFactory.For(R("apps", "deployments")).TracksGeneration);
        Assert.False(StrategyFactory.For(R("", "services")).TracksGeneration);
        Assert.Equal(GarbageCollectionPolicy.OrphanDependents, GarbageCollection.DefaultPolicy(R("batch", "jobs")));
        Assert.Same(PodColumns.All, TableConvertor.ColumnsFor(R("", "pods")));
        Assert.Equal(["Name", "Created At"], TableConvertor.ColumnsFor(R("", "bindings")).Select(c => c.Name));

        var secret = new JsonObject();
        BuiltinDefaults.Apply(R("", "secrets"), secret);
        Assert.Equal("Opaque", secret["type"]!.GetValue<string>());

        var service = new JsonObject { ["spec"] = new JsonObject(), ["status"] = new JsonObject { ["x"] = 1 } };
        StrategyFactory.For(R("", "services")).PrepareForCreate(service);
        Assert.Equal("""{"loadBalancer":{}}""", service["status"]!.ToJsonString());
    }
}
