using System.Runtime.InteropServices;
using ClientTools.Logging;

namespace ClientTools.Runtime;

/// <summary>SIGTERM and SIGINT as a cancellation token: how a component learns it should stop (as kube's components' signal handler).</summary>
public sealed class Shutdown : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    public Shutdown()
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                if (!_cts.IsCancellationRequested)
                {
                    Klog.Info($"received {context.Signal}, shutting down");
                    _cts.Cancel();
                }
            }));
        }
    }

    public CancellationToken Token => _cts.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cts.Dispose();
    }
}
