using Admission;

namespace ApiServer.Tests.Admission;

public sealed class AdmissionPluginsTests
{
    [Fact]
    public void Defaults_RunInKubeApiServersOrder()
    {
        var enabled = AdmissionPlugins.Enabled([], []);
        Assert.Equal("NamespaceLifecycle", enabled[0]);
        Assert.True(enabled.ToList().IndexOf("MutatingAdmissionWebhook") < enabled.ToList().IndexOf("ValidatingAdmissionWebhook"));
        Assert.Equal("ResourceQuota", enabled[^1]);
        Assert.DoesNotContain("AlwaysPullImages", enabled);
    }

    [Fact]
    public void EnableAndDisable_ChangeTheSetNotTheOrder()
    {
        var enabled = AdmissionPlugins.Enabled(["AlwaysPullImages"], ["ResourceQuota", "LimitRanger"]);
        Assert.Contains("AlwaysPullImages", enabled);
        Assert.DoesNotContain("ResourceQuota", enabled);
        Assert.DoesNotContain("LimitRanger", enabled);
        Assert.True(enabled.ToList().IndexOf("ServiceAccount") < enabled.ToList().IndexOf("AlwaysPullImages"));
    }

    [Fact]
    public void UnknownAndOverlappingNames_AreReportedAsKubeApiServerWordsThem()
    {
        Assert.Equal(
            ["enable-admission-plugins plugin \"Nope\" is unknown", "[LimitRanger] in enable-admission-plugins and disable-admission-plugins overlapped"],
            AdmissionPlugins.Validate(["Nope", "LimitRanger"], ["LimitRanger"]));
    }
}
