using System.Text.Json.Nodes;
using ApiServer.Registry;
using ApiServer.Registry.Conversion;

namespace ApiServer.Tests.Registry;

/// <summary>kube's conversions between the served versions that share one storage, as round trips.</summary>
public sealed class BuiltinConversionTests
{
    private static readonly GroupVersionKind HpaV1 = new("autoscaling", "v1", "HorizontalPodAutoscaler");
    private static readonly GroupVersionKind HpaV2 = new("autoscaling", "v2", "HorizontalPodAutoscaler");

    [Fact]
    public void HorizontalPodAutoscaler_V2ThroughV1AndBack_KeepsWhatV1CannotSay()
    {
        var v2 = JsonNode.Parse("""
            {"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v2","metadata":{"name":"web","namespace":"ns"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":1,"maxReplicas":4,
               "metrics":[{"type":"External","external":{"metric":{"name":"queue"},"target":{"type":"Value","value":"30"}}},
                          {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}}]},
             "status":{"currentReplicas":2,"desiredReplicas":3,
               "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageValue":"120m","averageUtilization":55}}}],
               "conditions":[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z","reason":"ReadyForNewScale","message":"ok"}]}}
            """)!.AsObject();

        var v1 = BuiltinConversions.Convert(v2, HpaV1);
        Assert.Equal(60, v1["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>());
        Assert.Equal(55, v1["status"]!["currentCPUUtilizationPercentage"]!.GetValue<int>());
        var annotations = v1["metadata"]!["annotations"]!;
        Assert.Equal("""[{"type":"External","external":{"metricName":"queue","targetValue":"30"}}]""", annotations[HorizontalPodAutoscalers.MetricSpecsAnnotation]!.GetValue<string>());
        Assert.Equal("""[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":55,"currentAverageValue":"120m"}}]""",
            annotations[HorizontalPodAutoscalers.MetricStatusesAnnotation]!.GetValue<string>());
        Assert.NotNull(annotations[HorizontalPodAutoscalers.ConditionsAnnotation]);

        var back = BuiltinConversions.Convert(v1, HpaV2);
        Assert.Null(back["metadata"]!["annotations"]);
        Assert.True(JsonNode.DeepEquals(v2["spec"], back["spec"]), back["spec"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(v2["status"]!["conditions"], back["status"]!["conditions"]));
        Assert.Equal(55, back["status"]!["currentMetrics"]![0]!["resource"]!["current"]!["averageUtilization"]!.GetValue<int>());
    }

    [Fact]
    public void HorizontalPodAutoscaler_V1WithoutATarget_MeansEightyPercentCpu()
    {
        var v1 = JsonNode.Parse("""{"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v1","metadata":{"name":"a"},"spec":{"maxReplicas":3}}""")!.AsObject();
        var v2 = BuiltinConversions.Convert(v1, HpaV2);
        Assert.Equal("""[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]""", v2["spec"]!["metrics"]!.ToJsonString());
    }

    [Fact]
    public void Events_CoreAndEventsV1_AreOneObjectUnderTwoNames()
    {
        var core = JsonNode.Parse("""
            {"kind":"Event","apiVersion":"v1","metadata":{"name":"e","namespace":"ns"},"involvedObject":{"kind":"Pod","name":"p"},
             "reason":"Pulled","message":"pulled","source":{"component":"kubelet"},"count":2,"type":"Normal","reportingComponent":"kubelet"}
            """)!.AsObject();
        var events = BuiltinConversions.Convert(core, new GroupVersionKind("events.k8s.io", "v1", "Event"));
        Assert.Equal("events.k8s.io/v1", events["apiVersion"]!.GetValue<string>());
        Assert.Equal(("pulled", "p", "kubelet", 2), (events["note"]!.GetValue<string>(), events["regarding"]!["name"]!.GetValue<string>(),
            events["reportingController"]!.GetValue<string>(), events["deprecatedCount"]!.GetValue<int>()));
        var back = BuiltinConversions.Convert(events, new GroupVersionKind("", "v1", "Event"));
        Assert.True(JsonNode.DeepEquals(core, back), back.ToJsonString());
    }
}
