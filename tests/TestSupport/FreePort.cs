using System.Net;
using System.Net.Sockets;

namespace TestSupport;

public static class FreePort
{
    /// <summary>
    /// A loopback TCP port that was free a moment ago. Another process can take it before the caller
    /// binds it, so callers retry with a fresh port when binding fails.
    /// </summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
