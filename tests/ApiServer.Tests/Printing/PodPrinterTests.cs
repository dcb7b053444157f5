using System.Globalization;
using System.Text.Json.Nodes;
using ApiServer.Printing;

namespace ApiServer.Tests.Printing;

/// <summary>
/// The pod row's READY, STATUS and RESTARTS cells, with the cases of kube's TestPrintPod
/// (pkg/printers/internalversion/printers_test.go) written as data: spec and status in, cells out.
/// "@-10s" in a case is a time ten seconds before the printing time.
/// </summary>
public sealed class PodPrinterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string, string, string, string> Cases() => new()
    {
        {
            "name, containers, restarts, ready",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"podPhase","containerStatuses":[{"ready":true,"restartCount":3,"state":{"running":{}}},{"restartCount":3}]}""",
            "1/2", "podPhase", "6"
        },
        {
            "a container's waiting reason overrides the phase",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"podPhase","containerStatuses":[{"ready":true,"restartCount":3,"state":{"running":{}}},{"restartCount":3,"state":{"waiting":{"reason":"ContainerWaitingReason"}}}]}""",
            "1/2", "ContainerWaitingReason", "6"
        },
        {
            "the first container's reason wins over the ones after it",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"podPhase","containerStatuses":[{"restartCount":3,"state":{"waiting":{"reason":"ContainerWaitingReason"}}},{"restartCount":3,"state":{"terminated":{"reason":"ContainerTerminatedReason"}}}]}""",
            "0/2", "ContainerWaitingReason", "6"
        },
        {
            "ready is not enough to count as running",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"podPhase","containerStatuses":[{"ready":true,"restartCount":3,"state":{"running":{}}},{"ready":true,"restartCount":3}]}""",
            "1/2", "podPhase", "6"
        },
        {
            "the pod's reason replaces the phase",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"podPhase","reason":"podReason","containerStatuses":[{"ready":true,"restartCount":3,"state":{"running":{}}},{"ready":true,"restartCount":3}]}""",
            "1/2", "podReason", "6"
        },
        {
            "one container completed, one running, no Ready condition: NotReady",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"Running","containerStatuses":[{"ready":true,"restartCount":3,"state":{"terminated":{"reason":"Completed","exitCode":0}}},{"ready":true,"restartCount":3,"state":{"running":{}}}]}""",
            "1/2", "NotReady", "6"
        },
        {
            "one container completed, one running, with the Ready condition: Running",
            """{"containers":[{"name":"a"},{"name":"b"}]}""",
            """{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"ready":true,"restartCount":3,"state":{"terminated":{"reason":"Completed","exitCode":0}}},{"ready":true,"restartCount":3,"state":{"running":{}}}]}""",
            "1/2", "Running", "6"
        },
        {
            "an init container restarting",
            """{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]}""",
            """{"phase":"podPhase","initContainerStatuses":[{"restartCount":3,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-10s"}}}],"containerStatuses":[{"restartCount":0,"state":{"waiting":{}}}]}""",
            "0/1", "Init:0/1", "3 (10s ago)"
        },
        {
            "two init containers, the first restarting",
            """{"initContainers":[{"name":"i"},{"name":"j"}],"containers":[{"name":"a"}]}""",
            """{"phase":"podPhase","initContainerStatuses":[{"restartCount":3,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-10s"}}},{"state":{"waiting":{}}}],"containerStatuses":[{"state":{"waiting":{}}}]}""",
            "0/1", "Init:0/2", "3 (10s ago)"
        },
        {
            "two init containers, the first done, the second restarting",
            """{"initContainers":[{"name":"i"},{"name":"j"}],"containers":[{"name":"a"}]}""",
            """{"phase":"podPhase","initContainerStatuses":[{"state":{"terminated":{}}},{"restartCount":3,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-10s"}}}],"containerStatuses":[{"state":{"waiting":{}}}]}""",
            "0/1", "Init:1/2", "3 (10s ago)"
        },
        {
            "two init containers with restarts, the second restarting",
            """{"initContainers":[{"name":"i"},{"name":"j"}],"containers":[{"name":"a"}]}""",
            """{"phase":"podPhase","initContainerStatuses":[{"restartCount":2,"state":{"terminated":{}},"lastState":{"terminated":{"finishedAt":"@-120s"}}},{"restartCount":3,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-10s"}}}],"containerStatuses":[{"state":{"waiting":{}}}]}""",
            "0/1", "Init:1/2", "5 (10s ago)"
        },
        {
            "init containers done: only the containers' restarts count",
            """{"initContainers":[{"name":"i"},{"name":"j"}],"containers":[{"name":"a"}]}""",
            """{"phase":"podPhase","initContainerStatuses":[{"restartCount":2,"state":{"terminated":{}},"lastState":{"terminated":{"finishedAt":"@-120s"}}},{"restartCount":3,"state":{"terminated":{}},"lastState":{"terminated":{"finishedAt":"@-60s"}}}],"containerStatuses":[{"restartCount":4,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-20s"}}}]}""",
            "0/1", "podPhase", "4 (20s ago)"
        },
        {
            "a failed init container",
            """{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]}""",
            """{"phase":"Pending","initContainerStatuses":[{"state":{"terminated":{"exitCode":1}}}],"containerStatuses":[{"state":{"waiting":{"reason":"PodInitializing"}}}]}""",
            "0/1", "Init:ExitCode:1", "0"
        },
        {
            "an init container killed by a signal",
            """{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]}""",
            """{"phase":"Pending","initContainerStatuses":[{"state":{"terminated":{"exitCode":137,"signal":9}}}]}""",
            "0/1", "Init:Signal:9", "0"
        },
        {
            "an init container waiting with a reason",
            """{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]}""",
            """{"phase":"Pending","initContainerStatuses":[{"state":{"waiting":{"reason":"ImagePullBackOff"}}}]}""",
            "0/1", "Init:ImagePullBackOff", "0"
        },
        {
            "a started sidecar counts as ready and its restarts count",
            """{"initContainers":[{"name":"sidecar","restartPolicy":"Always"}],"containers":[{"name":"a"}]}""",
            """{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],"initContainerStatuses":[{"name":"sidecar","ready":true,"started":true,"restartCount":3,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-10s"}}}],"containerStatuses":[{"name":"a","ready":true,"restartCount":4,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"@-20s"}}}]}""",
            "2/2", "Running", "7 (10s ago)"
        },
        {
            "a sidecar not yet started holds initialization",
            """{"initContainers":[{"name":"sidecar","restartPolicy":"Always"}],"containers":[{"name":"a"}]}""",
            """{"phase":"Pending","initContainerStatuses":[{"name":"sidecar","started":false,"state":{"running":{}}}],"containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]}""",
            "0/2", "Init:0/1", "0"
        },
        {
            "a terminated container without a reason shows its exit code",
            """{"containers":[{"name":"a"}]}""",
            """{"phase":"Failed","containerStatuses":[{"state":{"terminated":{"exitCode":2}}}]}""",
            "0/1", "ExitCode:2", "0"
        },
        {
            "scheduling gates",
            """{"containers":[{"name":"a"}],"schedulingGates":[{"name":"g"}]}""",
            """{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}""",
            "0/1", "SchedulingGated", "0"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Summarize_KubesPrintPodCases(string description, string spec, string status, string ready, string reason, string restarts)
    {
        var pod = Pod(spec, status);
        var summary = PodColumns.Summarize(pod, Now);
        Assert.True((ready, reason, restarts) == (summary.Ready, summary.Status, summary.Restarts), $"{description}: {summary}");
    }

    [Theory]
    [InlineData("Running", "Terminating")]
    [InlineData("Pending", "Terminating")]
    [InlineData("Succeeded", "Succeeded")]
    [InlineData("Failed", "Failed")]
    public void Summarize_Deleted_TerminatingUnlessFinished(string phase, string expected)
    {
        var pod = Pod("""{"containers":[{"name":"a"}]}""", $$"""{"phase":"{{phase}}"}""");
        pod["metadata"]!["deletionTimestamp"] = "2026-12-03T11:59:00Z";
        Assert.Equal(expected, PodColumns.Summarize(pod, Now).Status);
    }

    [Fact]
    public void Summarize_DeletedOnLostNode_Unknown()
    {
        var pod = Pod("""{"containers":[{"name":"a"}]}""", """{"phase":"Running","reason":"NodeLost"}""");
        pod["metadata"]!["deletionTimestamp"] = "2026-12-03T11:59:00Z";
        Assert.Equal("Unknown", PodColumns.Summarize(pod, Now).Status);
    }

    private static JsonObject Pod(string spec, string status)
    {
        var tenSecondsAgo = status;
        foreach (var seconds in new[] { 10, 20, 60, 120 })
        {
            tenSecondsAgo = tenSecondsAgo.Replace($"@-{seconds}s", Now.AddSeconds(-seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = JsonNode.Parse(spec),
            ["status"] = JsonNode.Parse(tenSecondsAgo),
        };
    }
}
