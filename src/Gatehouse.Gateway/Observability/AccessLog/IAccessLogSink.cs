namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// Where formatted access log lines go. Called only from the access log's writer thread, so implementations need
/// no locking and may block (file I/O); the request path never calls a sink.
/// </summary>
public interface IAccessLogSink : IDisposable
{
    /// <summary>Writes one line (newline included).</summary>
    void Write(ReadOnlySpan<byte> line);

    /// <summary>Hands buffered lines to the operating system; called when the queue runs empty and on stop.</summary>
    void Flush();
}
