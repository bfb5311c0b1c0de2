using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// Formats entries as JSON lines on the writer thread, reusing one buffer and one <see cref="Utf8JsonWriter"/>.
/// Every field is always present (null when unknown), so each line has the same shape.
/// </summary>
internal sealed class AccessLogFormatter
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Log files are not HTML: keep '+', '&', '<' readable. Control characters and quotes are still escaped,
        // so a hostile path cannot break a line or forge a field.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private readonly bool _includeQuery;

    public AccessLogFormatter(bool includeQuery)
    {
        _includeQuery = includeQuery;
        _json = new Utf8JsonWriter(_buffer, WriterOptions);
    }

    /// <summary>The line for <paramref name="entry"/>, newline included; valid until the next call.</summary>
    /// <param name="entry">The request.</param>
    /// <param name="startUtcTicks">UTC ticks of the request's arrival (<see cref="AccessLogWriter"/> maps the entry's timestamp).</param>
    public ReadOnlySpan<byte> Format(in AccessLogEntry entry, long startUtcTicks)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        var json = _json;
        json.WriteStartObject();

        // The request's arrival, to the millisecond.
        var startTicks = Math.Max(startUtcTicks, 0);
        startTicks -= startTicks % TimeSpan.TicksPerMillisecond;
        json.WriteString("time", new DateTime(startTicks, DateTimeKind.Utc));
        WriteStringOrNull(json, "requestId", entry.RequestId);

        Span<byte> hex = stackalloc byte[32];
        entry.TraceHigh.TryFormat(hex, out _, "x16");
        entry.TraceLow.TryFormat(hex[16..], out _, "x16");
        json.WriteString("traceId", hex);

        if (entry.ClientIp is { } ip)
        {
            Span<char> address = stackalloc char[64];
            var client = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
            if (client.TryFormat(address, out var written))
            {
                json.WriteString("clientIp", address[..written]);
            }
            else
            {
                json.WriteNull("clientIp");
            }
        }
        else
        {
            json.WriteNull("clientIp");
        }

        json.WriteString("method", entry.Method);
        var target = entry.Target.AsSpan();
        if (!_includeQuery)
        {
            var query = target.IndexOf('?');
            if (query >= 0)
            {
                target = target[..query];
            }
        }

        json.WriteString("path", target);
        WriteStringOrNull(json, "protocol", entry.Protocol);
        WriteStringOrNull(json, "host", entry.Host);
        WriteStringOrNull(json, "userAgent", entry.UserAgent);
        WriteStringOrNull(json, "service", entry.Service);
        WriteStringOrNull(json, "api", entry.Api);
        WriteStringOrNull(json, "node", entry.Node);
        json.WriteNumber("status", entry.Status);
        if (entry.UpstreamStatus > 0)
        {
            json.WriteNumber("upstreamStatus", entry.UpstreamStatus);
        }
        else
        {
            json.WriteNull("upstreamStatus");
        }

        if (entry.GrpcStatus is { } grpcStatus)
        {
            json.WriteNumber("grpcStatus", grpcStatus);
        }
        else
        {
            json.WriteNull("grpcStatus");
        }

        json.WriteNumber("bytesIn", entry.BytesIn);
        json.WriteNumber("bytesOut", entry.BytesOut);
        json.WriteNumber("totalMs", Milliseconds(entry.TotalTicks));
        json.WriteNumber("upstreamMs", Milliseconds(entry.UpstreamTicks));
        WriteStringOrNull(json, "error", entry.Error);
        json.WriteEndObject();
        json.Flush();

        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        return _buffer.WrittenSpan;
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>Stopwatch ticks as milliseconds rounded to the microsecond.</summary>
    private static double Milliseconds(long stopwatchTicks) => Math.Round(stopwatchTicks * 1000.0 / Stopwatch.Frequency, 3);
}
