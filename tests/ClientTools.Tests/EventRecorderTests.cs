using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ClientTools.Events;
using k8s;
using k8s.Models;

namespace ClientTools.Tests;

/// <summary>
/// The recorder's writers against a fake server (an HTTP handler): the real server's side of events is
/// in the Conformance suite's ClientToolsTests.
/// </summary>
public sealed partial class EventRecorderTests
{
    [Fact]
    public async Task One_events_create_and_count_updates_reach_the_server_in_order_while_others_are_written_beside_them()
    {
        var server = new FakeEventServer();
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = "http://fake.invalid" }, server);
        var recorder = new EventRecorder(client, "test-component", host: "host-1", writers: 4);
        using var cts = new CancellationTokenSource();
        var run = recorder.RunAsync(cts.Token);

        // The first create of p's event is slow: with writers that share one queue, the count updates behind it were
        // sent first (and found nothing to patch) while it was still on its way.
        var pod = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns", Uid = "u1" } };
        for (var i = 0; i < 6; i++)
        {
            recorder.Event(pod, EventTypes.Normal, "Pulled", "same message");
            var other = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = $"o{i}", NamespaceProperty = "ns", Uid = $"o{i}" } };
            recorder.Event(other, EventTypes.Normal, "Pulled", "other message");
        }

        await recorder.FlushAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();
        await run;

        var writes = server.Requests.Where(r => r.Path.Contains("/events/p.", StringComparison.Ordinal) || (r.Method == "POST" && r.Body.Contains("\"name\":\"p\"", StringComparison.Ordinal))).ToList();
        Assert.Equal("POST", writes[0].Method);
        Assert.Equal(5, writes.Count(w => w.Method == "PATCH"));
        Assert.Equal([2, 3, 4, 5, 6], writes.Where(w => w.Method == "PATCH").Select(w => int.Parse(CountOf().Match(w.Body).Groups[1].Value)).ToList());
        Assert.Equal(6, server.Requests.Count(r => r.Method == "POST" && r.Body.Contains("other message", StringComparison.Ordinal)));
    }

    [GeneratedRegex("\"count\":(\\d+)")]
    private static partial Regex CountOf();

    private sealed record Request(string Method, string Path, string Body);

    /// <summary>Answers event creates and patches; the first create of pod p's event takes a while.</summary>
    private sealed class FakeEventServer : DelegatingHandler
    {
        private int _slowCreates;

        public ConcurrentQueue<Request> Requests { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            if (request.Method == HttpMethod.Post && body.Contains("same message", StringComparison.Ordinal) && Interlocked.Increment(ref _slowCreates) == 1)
            {
                await Task.Delay(300, cancellationToken);
            }

            Requests.Enqueue(new Request(request.Method.Method, request.RequestUri!.AbsolutePath, body));
            return new HttpResponseMessage(request.Method == HttpMethod.Post ? HttpStatusCode.Created : HttpStatusCode.OK)
            {
                Content = new StringContent(request.Method == HttpMethod.Post ? body : "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{}}", Encoding.UTF8, "application/json"),
            };
        }
    }
}
