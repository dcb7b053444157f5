using System.Diagnostics;
using Bench;

// bench [--quick] [--out docs/benchmarks.md] [--only create,update,get,list,watch,crd,memory,encoding,scheduling | crd-schema | scale [--objects N]] [--concurrency 1,32]
//       [--nodes 100,1000] [--pods 1000] [--scheduler-qps 5000/5000,50/100]   (the scheduling rows)
//       [--scheduler-dll before=/tmp/old/Scheduler.dll,after=src/Scheduler/bin/Release/net10.0/Scheduler.dll]   (each row per build)
// bench --only deployment [--nodes 100] [--replicas 1000] [--kcm-qps 20/30,1000/1000] [--kcm-dll before=/tmp/old/ControllerManager.dll,after=src/ControllerManager/bin/Release/net10.0/ControllerManager.dll] [--kcm-arg --v=2]   (issue 18's row, /tmp/deployment-bench.md)
var quick = args.Contains("--quick");
var outIndex = Array.IndexOf(args, "--out");
var output = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine(Cluster.RepoRoot(), "docs", "benchmarks.md");
var onlyIndex = Array.IndexOf(args, "--only");
var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',') : null;
bool Runs(string name) => only is null || only.Contains(name);

// The CRD schema workload runs in-process (no cluster): its own file, its own output (default /tmp).
if (only is ["crd-schema"])
{
    await CrdSchemaBench.RunAsync(outIndex >= 0 ? output : "/tmp/crdschema-bench.md", quick);
    return;
}

// Issue 18's Deployment of 1,000 replicas: its own clusters, its own output (default /tmp).
if (only is ["deployment"])
{
    await DeploymentWorkload.RunAsync(args, outIndex >= 0 ? output : "/tmp/deployment-bench.md");
    return;
}

// Issue 19's cold start at scale: its own cluster, its own output (default /tmp).
if (only is ["scale"])
{
    await ScaleWorkload.RunAsync(args, outIndex >= 0 ? output : "/tmp/scale-bench.md");
    return;
}

var settings = Settings.For(quick);
var concurrencyIndex = Array.IndexOf(args, "--concurrency");
if (concurrencyIndex >= 0 && concurrencyIndex + 1 < args.Length)
{
    settings = settings with { CreateConcurrency = args[concurrencyIndex + 1].Split(',').Select(int.Parse).ToArray() };
}
var report = new Report();
var loadBefore = ProcStats.LoadAverage();
var clock = Stopwatch.StartNew();
string[] ArgList(string name, string fallback) => (Array.IndexOf(args, name) is var index and >= 0 && index + 1 < args.Length ? args[index + 1] : fallback).Split(',');
// The shared cluster only when a workload that uses it is asked for (encoding and scheduling start their own).
if (only is null || only.Any(o => o is not ("scheduling" or "encoding")))
{
    await using var cluster = await Cluster.StartAsync();
    var workloads = new Workloads(cluster, settings, report);
    await workloads.PrepareAsync();
    if (Runs("create"))
    {
        await workloads.CreatesAsync();
    }

    if (Runs("update"))
    {
        await workloads.UpdatesAsync();
    }

    if (Runs("get"))
    {
        await workloads.GetsAsync();
    }

    if (Runs("list"))
    {
        await workloads.ListsAsync();
    }

    if (Runs("watch"))
    {
        await workloads.WatchesAsync();
    }

    if (Runs("crd"))
    {
        await new CustomResourceWorkloads(cluster, settings, report).RunAsync();
    }

    if (Runs("memory"))
    {
        await workloads.MemoryAsync();
    }
}

if (Runs("encoding"))
{
    // Two more clusters, one storing JSON and one protobuf, measured side by side.
    await new StorageEncodingWorkload(settings, report).RunAsync();
}

// Issue 17's rows, each in a cluster of its own (the workloads above leave unscheduled pods behind).
if (Runs("scheduling"))
{
    foreach (var qps in ArgList("--scheduler-qps", "5000/5000"))
    {
        foreach (var nodes in ArgList("--nodes", quick ? "100" : "100,1000"))
        {
            // --scheduler-dll label=path/Scheduler.dll,...: the same row once per scheduler build, alternating (before/after in one run).
            foreach (var build in ArgList("--scheduler-dll", ""))
            {
                report.AddScheduling(await Scheduling.RunAsync(int.Parse(nodes, System.Globalization.CultureInfo.InvariantCulture), int.Parse(ArgList("--pods", "1000")[0], System.Globalization.CultureInfo.InvariantCulture), qps, build));
            }
        }
    }
}

var markdown = report.ToMarkdown(settings, loadBefore, ProcStats.LoadAverage(), clock.Elapsed);
// What people wrote about the numbers (findings, what changed) follows a marker and survives a rerun.
const string AnalysisMarker = "<!-- analysis: written by hand, kept by bench/run.sh -->";
if (File.Exists(output) && (await File.ReadAllTextAsync(output)) is var previous && previous.IndexOf(AnalysisMarker, StringComparison.Ordinal) is var at and >= 0)
{
    markdown += "\n" + previous[at..];
}

await File.WriteAllTextAsync(output, markdown);
Console.WriteLine($"wrote {output}");
