using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// Sends bytes exactly as written over a TcpClient, for requests HttpClient would refuse or rewrite (conflicting
/// framing headers, dot segments, encoded slashes), and reads what comes back until the server closes.
/// </summary>
internal static class RawHttp
{
    /// <summary>Writes <paramref name="request"/> and returns everything read until the server closes or the timeout passes.</summary>
    public static async Task<RawResponse> SendAsync(int port, string request, TimeSpan? timeout = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        return await ReadUntilClosedAsync(stream, timeout ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>Everything read from <paramref name="stream"/> until the server closes it or <paramref name="timeout"/> passes.</summary>
    public static async Task<RawResponse> ReadUntilClosedAsync(NetworkStream stream, TimeSpan timeout)
    {
        var received = new MemoryStream();
        var buffer = new byte[8192];
        var closed = false;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }

            closed = true;
        }
        catch (OperationCanceledException)
        {
            // Still open at the timeout: the caller decides whether that is a failure.
        }
        catch (IOException)
        {
            closed = true; // reset by the server
        }

        return new RawResponse(Encoding.ASCII.GetString(received.ToArray()), closed);
    }

    /// <summary>A GET with the service header and Connection: close, so the server ends the exchange.</summary>
    public static string Get(string target, string service = "s", string extraHeaders = "") =>
        $"GET {target} HTTP/1.1\r\nHost: gw\r\nserviceName: {service}\r\nConnection: close\r\n{extraHeaders}\r\n";
}

/// <summary>What came back on a raw connection, and whether the server closed it.</summary>
internal sealed record RawResponse(string Text, bool Closed)
{
    /// <summary>Status of the first response; 0 when nothing came back.</summary>
    public int Status => Text.Length >= 12 && Text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(Text.AsSpan(9, 3)) : 0;

    /// <summary>How many responses the server wrote (a smuggled second request would add one).</summary>
    public int ResponseCount
    {
        get
        {
            var count = 0;
            var index = 0;
            while ((index = Text.IndexOf("HTTP/1.1 ", index, StringComparison.Ordinal)) >= 0)
            {
                count++;
                index += 9;
            }

            return count;
        }
    }

    /// <summary>The <c>code</c> of a problem JSON body, or null when the body is not one.</summary>
    public string? ProblemCode
    {
        get
        {
            var start = Text.IndexOf("\"code\":\"", StringComparison.Ordinal);
            if (start < 0)
            {
                return null;
            }

            start += 8;
            return Text[start..Text.IndexOf('"', start)];
        }
    }

    public override string ToString() => Text;
}
