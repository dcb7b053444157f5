using ControllerManager.Deployment;
using k8s.Models;

namespace ControllerManager.Tests;

public sealed class DeploymentUtilTests
{
    private static V1Deployment Deployment(int replicas, string? surge = null, string? unavailable = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", Generation = 1 },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Strategy = new V1DeploymentStrategy
            {
                Type = "RollingUpdate",
                RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = surge, MaxUnavailable = unavailable },
            },
            Template = Template("nginx"),
        },
    };

    private static V1PodTemplateSpec Template(string image) => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = image }] },
    };

    [Theory]
    [InlineData(3, null, null, 1, 0)]
    [InlineData(10, null, null, 3, 2)]
    [InlineData(10, "0", "0", 0, 1)]
    [InlineData(4, "50%", "1", 2, 1)]
    [InlineData(1, "0%", "25%", 0, 1)]
    public void ResolveFenceposts_RoundsSurgeUpAndUnavailableDown(int replicas, string? surge, string? unavailable, int expectedSurge, int expectedUnavailable)
    {
        var d = Deployment(replicas, surge, unavailable);
        Assert.Equal((expectedSurge, expectedUnavailable), (DeploymentUtil.MaxSurge(d), DeploymentUtil.MaxUnavailable(d)));
    }

    [Fact]
    public void ComputeHash_IsStableSafeAndChangesWithTemplateAndCollisions()
    {
        var a = DeploymentUtil.ComputeHash(Template("nginx"), null);
        Assert.Equal(a, DeploymentUtil.ComputeHash(Template("nginx"), null));
        Assert.NotEqual(a, DeploymentUtil.ComputeHash(Template("nginx:1.27"), null));
        Assert.NotEqual(a, DeploymentUtil.ComputeHash(Template("nginx"), 1));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]{1,10}$", a);
    }

    [Fact]
    public void EqualIgnoreHash_IgnoresOnlyThePodTemplateHashLabel()
    {
        var withHash = Template("nginx");
        withHash.Metadata.Labels["pod-template-hash"] = "abc";
        Assert.True(DeploymentUtil.EqualIgnoreHash(Template("nginx"), withHash));
        Assert.False(DeploymentUtil.EqualIgnoreHash(Template("nginx"), Template("redis")));
    }

    [Theory]
    [InlineData(10, 0, 0, 10)]
    [InlineData(10, 10, 0, 3)]
    [InlineData(10, 13, 3, 3)]
    [InlineData(10, 8, 2, 5)]
    public void NewReplicaSetReplicas_StaysWithinSurge(int replicas, int oldReplicas, int newReplicas, int expected)
    {
        var d = Deployment(replicas);
        var oldRs = new V1ReplicaSet { Spec = new V1ReplicaSetSpec { Replicas = oldReplicas } };
        var newRs = new V1ReplicaSet { Spec = new V1ReplicaSetSpec { Replicas = newReplicas } };
        Assert.Equal(expected, DeploymentUtil.NewReplicaSetReplicas(d, [oldRs, newRs], newRs));
    }

    [Fact]
    public void SetNewReplicaSetAnnotations_MovesTheOldRevisionToHistory()
    {
        var d = Deployment(3);
        d.Metadata.Annotations = new Dictionary<string, string> { ["kubernetes.io/change-cause"] = "undo", [DeploymentUtil.RevisionAnnotation] = "2" };
        var rs = new V1ReplicaSet { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [DeploymentUtil.RevisionAnnotation] = "1" } } };
        Assert.True(DeploymentUtil.SetNewReplicaSetAnnotations(d, rs, "3", exists: true));
        Assert.Equal("3", rs.Metadata.Annotations[DeploymentUtil.RevisionAnnotation]);
        Assert.Equal("1", rs.Metadata.Annotations[DeploymentUtil.RevisionHistoryAnnotation]);
        Assert.Equal("undo", rs.Metadata.Annotations["kubernetes.io/change-cause"]);
        Assert.False(DeploymentUtil.SetNewReplicaSetAnnotations(d, rs, "3", exists: true));
    }

    [Fact]
    public void Conditions_KeepTransitionTimeWhileStatusStays()
    {
        var status = new V1DeploymentStatus();
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        DeploymentUtil.SetCondition(status, DeploymentUtil.NewCondition("Progressing", "True", "NewReplicaSetCreated", "m", t0));
        DeploymentUtil.SetCondition(status, DeploymentUtil.NewCondition("Progressing", "True", "ReplicaSetUpdated", "m", t0.AddMinutes(1)));
        var condition = Assert.Single(status.Conditions);
        Assert.Equal(("ReplicaSetUpdated", t0, t0.AddMinutes(1)), (condition.Reason, condition.LastTransitionTime!.Value, condition.LastUpdateTime!.Value));
    }
}
