using k8s;
using k8s.Models;
using NodeSimulator.Pods;

namespace NodeSimulator.Tests;

/// <summary>A pod's life on a simulated node, step by step, with the clock in the test's hands.</summary>
public sealed class PodLifecycleTests
{
    private static readonly DateTime T0 = new(2026, 12, 3, 10, 0, 0, DateTimeKind.Utc);
    private static readonly LifecycleSettings Settings = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));

    [Fact]
    public void A_new_pod_is_Pending_with_its_containers_creating()
    {
        var pod = Pod();
        var step = Next(pod, T0);
        var status = step.NewStatus!;
        Assert.Equal("Pending", status.Phase);
        Assert.Equal(T0, status.StartTime);
        Assert.Equal("10.0.0.1", status.HostIP);
        Assert.Equal(["10.0.0.1"], status.HostIPs.Select(h => h.Ip));
        Assert.Null(status.PodIP);
        var c = Assert.Single(status.ContainerStatuses);
        Assert.Equal(("web", "nginx", "", false, false, 0), (c.Name, c.Image, c.ImageID, c.Ready, c.Started, c.RestartCount));
        Assert.Equal("ContainerCreating", c.State.Waiting.Reason);
        Assert.Equal(
            ["PodReadyToStartContainers=False", "Initialized=True", "Ready=False ContainersNotReady containers with unready status: [web]", "ContainersReady=False ContainersNotReady containers with unready status: [web]", "PodScheduled=True"],
            Conditions(status));
        Assert.Equal(T0 + Settings.StartDelay, step.WakeAt);
        Assert.Empty(step.Events);
    }

    [Fact]
    public void After_the_start_delay_it_runs_with_an_IP_and_is_ready()
    {
        var pod = Pod();
        pod.Status = Next(pod, T0).NewStatus;
        Assert.Null(Next(pod, T0.AddMilliseconds(500)).NewStatus);

        var step = Next(pod, T0.AddSeconds(1));
        var status = step.NewStatus!;
        Assert.Equal("Running", status.Phase);
        Assert.Equal("10.244.1.2", status.PodIP);
        Assert.Equal(["10.244.1.2"], status.PodIPs.Select(p => p.Ip));
        var c = Assert.Single(status.ContainerStatuses);
        Assert.Equal("docker.io/library/nginx:latest", c.Image);
        Assert.StartsWith("docker.io/library/nginx@sha256:", c.ImageID, StringComparison.Ordinal);
        Assert.StartsWith("containerd://", c.ContainerID, StringComparison.Ordinal);
        Assert.True(c.Ready);
        Assert.True(c.Started);
        Assert.Equal(T0.AddSeconds(1), c.State.Running.StartedAt);
        Assert.Equal(["PodReadyToStartContainers=True", "Initialized=True", "Ready=True", "ContainersReady=True", "PodScheduled=True"], Conditions(status));
        Assert.Equal(T0, status.Conditions.Single(x => x.Type == "Initialized").LastTransitionTime);
        Assert.Equal(T0.AddSeconds(1), status.Conditions.Single(x => x.Type == "Ready").LastTransitionTime);
        Assert.Equal(["Pulling", "Pulled", "Created", "Started"], step.Events.Select(e => e.Reason));
        Assert.Equal("spec.containers{web}", step.Events[^1].FieldPath);
        Assert.Equal("Started container web", step.Events[^1].Message);
        Assert.Null(step.WakeAt);

        pod.Status = status;
        Assert.Null(Next(pod, T0.AddMinutes(10)).NewStatus);
    }

    [Fact]
    public void A_readiness_probe_delays_readiness_by_its_initial_delay()
    {
        var pod = Pod(c => c.ReadinessProbe = new V1Probe { InitialDelaySeconds = 10, HttpGet = new V1HTTPGetAction { Port = 80 } });
        pod.Status = Next(pod, T0).NewStatus;
        var running = Next(pod, T0.AddSeconds(1));
        pod.Status = running.NewStatus;
        Assert.False(pod.Status!.ContainerStatuses[0].Ready);
        Assert.Equal("Running", pod.Status.Phase);
        Assert.Contains("Ready=False ContainersNotReady containers with unready status: [web]", Conditions(pod.Status));
        Assert.Equal(T0.AddSeconds(11), running.WakeAt);
        Assert.Null(Next(pod, T0.AddSeconds(10)).NewStatus);

        var ready = Next(pod, T0.AddSeconds(11)).NewStatus!;
        Assert.True(ready.ContainerStatuses[0].Ready);
        Assert.Contains("Ready=True", Conditions(ready));
    }

    [Fact]
    public void Init_containers_run_one_after_another_before_the_app_containers()
    {
        var pod = Pod();
        pod.Spec.InitContainers = [new V1Container { Name = "setup", Image = "busybox" }, new V1Container { Name = "migrate", Image = "busybox" }];
        pod.Status = Next(pod, T0).NewStatus;
        Assert.Equal(["PodInitializing", "PodInitializing"], pod.Status!.InitContainerStatuses.Select(s => s.State.Waiting.Reason));
        Assert.Equal("PodInitializing", pod.Status.ContainerStatuses[0].State.Waiting.Reason);
        Assert.Contains("Initialized=False ContainersNotInitialized containers with incomplete status: [setup migrate]", Conditions(pod.Status));

        pod.Status = Next(pod, T0.AddSeconds(1)).NewStatus; // setup runs
        Assert.NotNull(pod.Status!.InitContainerStatuses[0].State.Running);
        Assert.Equal("Pending", pod.Status.Phase);
        pod.Status = Next(pod, T0.AddSeconds(3)).NewStatus; // setup done, migrate runs
        Assert.Equal(("Completed", 0), (pod.Status!.InitContainerStatuses[0].State.Terminated.Reason, pod.Status.InitContainerStatuses[0].State.Terminated.ExitCode));
        Assert.NotNull(pod.Status.InitContainerStatuses[1].State.Running);
        Assert.Contains("Initialized=False ContainersNotInitialized containers with incomplete status: [migrate]", Conditions(pod.Status));
        pod.Status = Next(pod, T0.AddSeconds(5)).NewStatus; // migrate done, app runs
        Assert.Equal("Running", pod.Status!.Phase);
        Assert.All(pod.Status.InitContainerStatuses, s => Assert.Equal("Completed", s.State.Terminated.Reason));
        Assert.NotNull(pod.Status.ContainerStatuses[0].State.Running);
        Assert.Contains("Initialized=True", Conditions(pod.Status));
    }

    [Fact]
    public void A_jobs_pod_completes_after_its_sleep_and_ends_Succeeded()
    {
        var pod = Pod(c => c.Command = ["sh", "-c", "echo hi; sleep 3"]);
        pod.Spec.RestartPolicy = "Never";
        pod.Status = Next(pod, T0).NewStatus;
        var running = Next(pod, T0.AddSeconds(1));
        pod.Status = running.NewStatus;
        Assert.Equal(T0.AddSeconds(4), running.WakeAt);
        var done = Next(pod, T0.AddSeconds(4)).NewStatus!;
        Assert.Equal("Succeeded", done.Phase);
        var terminated = done.ContainerStatuses[0].State.Terminated;
        Assert.Equal((0, "Completed", T0.AddSeconds(1), T0.AddSeconds(4)), (terminated.ExitCode, terminated.Reason, terminated.StartedAt!.Value, terminated.FinishedAt!.Value));
        Assert.Equal(["PodReadyToStartContainers=False", "Initialized=True", "Ready=False PodCompleted", "ContainersReady=False PodCompleted", "PodScheduled=True"], Conditions(done));
        pod.Status = done;
        Assert.Null(Next(pod, T0.AddHours(1)).NewStatus);
    }

    [Fact]
    public void A_failing_container_with_restartPolicy_Never_fails_the_pod()
    {
        var pod = Pod(c => c.Env = [new V1EnvVar { Name = RunRule.RunTimeEnv, Value = "2s" }, new V1EnvVar { Name = RunRule.ExitCodeEnv, Value = "3" }]);
        pod.Spec.RestartPolicy = "Never";
        pod.Status = Next(pod, T0).NewStatus;
        pod.Status = Next(pod, T0.AddSeconds(1)).NewStatus;
        var done = Next(pod, T0.AddSeconds(3)).NewStatus!;
        Assert.Equal("Failed", done.Phase);
        Assert.Equal((3, "Error"), (done.ContainerStatuses[0].State.Terminated.ExitCode, done.ContainerStatuses[0].State.Terminated.Reason));
    }

    [Fact]
    public void A_container_that_exits_under_restartPolicy_Always_backs_off_and_restarts()
    {
        var pod = Pod();
        pod.Metadata.Annotations = new Dictionary<string, string> { [RunRule.RunTimeAnnotation] = "2s", [RunRule.ExitCodeAnnotation] = "1" };
        pod.Status = Next(pod, T0).NewStatus;
        pod.Status = Next(pod, T0.AddSeconds(1)).NewStatus;
        var exited = Next(pod, T0.AddSeconds(3));
        pod.Status = exited.NewStatus;
        var c = pod.Status!.ContainerStatuses[0];
        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal(1, c.RestartCount);
        Assert.Equal("CrashLoopBackOff", c.State.Waiting.Reason);
        Assert.StartsWith("back-off 10s restarting failed container=web pod=web_ns(uid-1)", c.State.Waiting.Message, StringComparison.Ordinal);
        Assert.Equal(1, c.LastState.Terminated.ExitCode);
        Assert.Equal(T0.AddSeconds(13), exited.WakeAt);
        Assert.Contains(exited.Events, e => e.Reason == "BackOff" && e.Type == "Warning");

        pod.Status = Next(pod, T0.AddSeconds(13)).NewStatus;
        c = pod.Status!.ContainerStatuses[0];
        Assert.Equal(T0.AddSeconds(13), c.State.Running.StartedAt);
        Assert.Equal(1, c.RestartCount);
        Assert.Equal(1, c.LastState.Terminated.ExitCode);
    }

    [Fact]
    public void A_deleted_pod_has_its_containers_stopped_ends_terminal_and_is_deleted()
    {
        var pod = Pod();
        pod.Status = Next(pod, T0).NewStatus;
        pod.Status = Next(pod, T0.AddSeconds(1)).NewStatus;
        pod.Metadata.DeletionTimestamp = T0.AddSeconds(60);
        pod.Metadata.DeletionGracePeriodSeconds = 30;
        var step = Next(pod, T0.AddSeconds(31));
        Assert.True(step.Delete);
        Assert.Equal("Succeeded", step.NewStatus!.Phase);
        Assert.Equal("Completed", step.NewStatus.ContainerStatuses[0].State.Terminated.Reason);
        Assert.Equal(("Killing", "Stopping container web"), (step.Events.Single().Reason, step.Events.Single().Message));

        var pending = Pod();
        pending.Metadata.DeletionTimestamp = T0;
        var gone = Next(pending, T0);
        Assert.True(gone.Delete);
        Assert.Null(gone.NewStatus);
    }

    [Fact]
    public void Host_network_pods_take_the_node_IP_and_readiness_gates_hold_Ready()
    {
        var pod = Pod();
        pod.Spec.HostNetwork = true;
        pod.Spec.ReadinessGates = [new V1PodReadinessGate { ConditionType = "example.com/ready" }];
        pod.Status = Next(pod, T0).NewStatus;
        var status = Next(pod, T0.AddSeconds(1)).NewStatus!;
        Assert.Equal("10.0.0.1", status.PodIP);
        Assert.Contains("Ready=False ReadinessGatesNotReady corresponding condition of pod readiness gate \"example.com/ready\" does not exist.", Conditions(status));
        Assert.Contains("ContainersReady=True", Conditions(status));
    }

    [Theory]
    [InlineData("sleep 30", 30, 0)]
    [InlineData("sh -c echo start; sleep 2; sleep 1.5; exit 4", 3.5, 4)]
    [InlineData("sleep 1m", 60, 0)]
    [InlineData("exit 2", 0, 2)]
    public void Commands_state_run_times_and_exit_codes(string command, double seconds, int code)
    {
        var rule = RunRule.FromCommand(command)!.Value;
        Assert.Equal((TimeSpan.FromSeconds(seconds), code), (rule.RunTime!.Value, rule.ExitCode));
    }

    [Fact]
    public void Run_rules_in_order_env_then_annotation_then_command_then_restart_policy()
    {
        var pod = Pod(c => c.Command = ["nginx", "-g", "daemon off;"]);
        var container = pod.Spec.Containers[0];
        Assert.False(RunRule.For(pod, container, TimeSpan.FromSeconds(5)).Exits);
        Assert.False(RunRule.FromCommand("sleep infinity")!.Value.Exits);
        pod.Spec.RestartPolicy = "OnFailure";
        Assert.Equal(TimeSpan.FromSeconds(5), RunRule.For(pod, container, TimeSpan.FromSeconds(5)).RunTime);
        pod.Metadata.Annotations = new Dictionary<string, string> { [RunRule.RunTimeAnnotation] = "1m" };
        Assert.Equal(TimeSpan.FromMinutes(1), RunRule.For(pod, container, TimeSpan.FromSeconds(5)).RunTime);
        container.Env = [new V1EnvVar { Name = RunRule.RunTimeEnv, Value = "infinity" }];
        Assert.False(RunRule.For(pod, container, TimeSpan.FromSeconds(5)).Exits);
    }

    [Theory]
    [InlineData("nginx", "docker.io/library/nginx:latest")]
    [InlineData("nginx:1.27", "docker.io/library/nginx:1.27")]
    [InlineData("bitnami/redis", "docker.io/bitnami/redis:latest")]
    [InlineData("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10")]
    [InlineData("localhost:5000/app", "localhost:5000/app:latest")]
    public void Images_are_named_as_the_runtime_names_them(string image, string normalized) =>
        Assert.Equal(normalized, Images.Normalize(image));

    [Fact]
    public void Pod_IPs_come_from_the_nodes_slice_of_the_pod_CIDR()
    {
        Assert.Equal("10.244.0.0/24", Nodes.PodCidrAllocator.NodeCidr("10.244.0.0/16", 0));
        Assert.Equal("10.244.7.0/24", Nodes.PodCidrAllocator.NodeCidr("10.244.0.0/16", 7));
        var ips = new Nodes.PodCidrAllocator("10.244.7.0/24");
        Assert.True(ips.Claim("10.244.7.2"));
        Assert.False(ips.Claim("10.245.0.2"));
        Assert.Equal("10.244.7.3", ips.Allocate());
        ips.Release("10.244.7.2");
        Assert.Equal("10.244.7.2", ips.Allocate());
        Assert.Throws<ArgumentException>(() => Nodes.PodCidrAllocator.NodeCidr("10.244.0.0/23", 2));
    }

    private static PodStep Next(V1Pod pod, DateTime now)
    {
        var next = 2;
        return PodLifecycle.Next(pod, now, Settings, "10.0.0.1", () => $"10.244.1.{next++}");
    }

    private static List<string> Conditions(V1PodStatus status) =>
        [.. status.Conditions.Select(c => $"{c.Type}={c.Status}{(c.Reason is null ? "" : " " + c.Reason)}{(c.Message is null ? "" : " " + c.Message)}")];

    private static V1Pod Pod(Action<V1Container>? configure = null)
    {
        var container = new V1Container { Name = "web", Image = "nginx", ImagePullPolicy = "Always" };
        configure?.Invoke(container);
        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "ns", Uid = "uid-1", ResourceVersion = "5" },
            Spec = new V1PodSpec { NodeName = "node-1", RestartPolicy = "Always", Containers = [container] },
            Status = new V1PodStatus
            {
                Phase = "Pending",
                QosClass = "BestEffort",
                Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = T0 }],
            },
        };
    }
}
