namespace Gatehouse.Gateway.Engine;

/// <summary>Settings of the event-loop engine (<c>Gatehouse:Gateway:Engine</c> = <c>loop</c>).</summary>
public sealed class LoopEngineOptions
{
    /// <summary>Event loops (threads, each with its own epoll instance); 0 means one per core.</summary>
    public int Loops { get; set; }

    /// <summary>Bytes read ahead of the application per connection before reading pauses (as Kestrel's socket transport).</summary>
    public int MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>Bytes of response buffered per connection before the application's flush waits for the socket.</summary>
    public int MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Node connections of requests that run on a loop are carried by that loop too (plaintext nodes; TLS nodes keep
    /// the platform's sockets). Off: every node connection uses the platform's socket engine.
    /// </summary>
    public bool Upstream { get; set; } = true;

    public int ResolvedLoops => Loops > 0 ? Loops : Environment.ProcessorCount;
}

/// <summary>The names of the traffic engines <c>Gatehouse:Gateway:Engine</c> accepts.</summary>
public static class GatewayEngines
{
    /// <summary>Kestrel's socket transport and the platform's sockets for node connections (the off switch).</summary>
    public const string Platform = "platform";

    /// <summary>The gateway's own epoll event loops, the default (Linux x86-64; elsewhere it falls back to <see cref="Platform"/>).</summary>
    public const string Loop = "loop";
}
