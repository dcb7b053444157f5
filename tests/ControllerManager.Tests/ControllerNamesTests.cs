using ControllerManager.Infrastructure;

namespace ControllerManager.Tests;

public sealed class ControllerNamesTests
{
    private static readonly HashSet<string> OffByDefault = [ControllerNames.Namespace];

    [Theory]
    [InlineData("*", ControllerNames.ReplicaSet, true)]
    [InlineData("*", ControllerNames.Namespace, false)]
    [InlineData("*,namespace", ControllerNames.Namespace, true)]
    [InlineData("*,-replicaset", ControllerNames.ReplicaSet, false)]
    [InlineData("-replicaset-controller,*", ControllerNames.ReplicaSet, false)]
    [InlineData("deployment", ControllerNames.Deployment, true)]
    [InlineData("deployment", ControllerNames.ReplicaSet, false)]
    [InlineData("replicaset,-replicaset", ControllerNames.ReplicaSet, true)]
    [InlineData("", ControllerNames.ReplicaSet, false)]
    public void IsEnabled_FollowsKubesRule(string flag, string controller, bool expected)
    {
        var entries = flag.Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected, ControllerNames.IsEnabled(controller, entries, OffByDefault));
    }

    [Fact]
    public void Unknown_NamesEntriesNoControllerHas()
    {
        Assert.Equal(["nosuch"], ControllerNames.Unknown(["*", "-podgc", "nosuch", "replicaset-controller"], ControllerRegistry.Known.Append(ControllerNames.PodGarbageCollector).ToHashSet()));
    }

    [Fact]
    public void Registry_NamespaceAndQuotaAreOffByDefault_TheServerRunsThem()
    {
        var enabled = ControllerRegistry.Enabled(["*"]).Select(d => d.Name).ToList();
        Assert.Contains(ControllerNames.ReplicaSet, enabled);
        Assert.Contains(ControllerNames.Deployment, enabled);
        Assert.DoesNotContain(ControllerNames.Namespace, enabled);
        Assert.DoesNotContain(ControllerNames.ResourceQuota, enabled);
    }
}
