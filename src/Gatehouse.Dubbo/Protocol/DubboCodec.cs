using System.Buffers;
using Gatehouse.Dubbo.Hessian;

namespace Gatehouse.Dubbo.Protocol;

/// <summary>How a response body says what the call returned (the first value of a status-20 body).</summary>
public enum DubboResponseKind
{
    /// <summary>The method threw; <see cref="DubboResponse.Value"/> is the exception object (or a message string).</summary>
    Exception = 0,

    /// <summary>The method returned a value.</summary>
    Value = 1,

    /// <summary>The method returned null (or void).</summary>
    Null = 2,
}

/// <summary>A decoded status-20 response.</summary>
/// <param name="Kind">Value, null or exception.</param>
/// <param name="Value">The returned value or the exception; null for <see cref="DubboResponseKind.Null"/>.</param>
/// <param name="Attachments">The provider's attachments, when the body carried them.</param>
public sealed record DubboResponse(DubboResponseKind Kind, object? Value, HessianMap? Attachments);

/// <summary>One call: what the request body carries besides the Dubbo version.</summary>
/// <param name="Service">The service path, normally the interface name.</param>
/// <param name="Version">The service version; null or empty for none (Dubbo writes "0.0.0").</param>
/// <param name="Group">The service group, sent as the <c>group</c> attachment; null for none.</param>
/// <param name="Method">The method name.</param>
/// <param name="ParameterTypes">The Java parameter types as descriptor, e.g. <c>Ljava/lang/String;I</c>.</param>
/// <param name="Arguments">One value per parameter, in order.</param>
/// <param name="Attachments">Extra attachments (headers, trace context); may be null.</param>
public sealed record DubboInvocation(string Service, string? Version, string? Group, string Method, string ParameterTypes,
    IReadOnlyList<object?> Arguments, IReadOnlyList<KeyValuePair<string, string>>? Attachments = null);

/// <summary>Encodes request frames and decodes response bodies (the wire layer: no sockets).</summary>
public static class DubboCodec
{
    /// <summary>The Dubbo protocol version written in requests.</summary>
    public const string DubboVersion = "2.0.2";

    /// <summary>Encodes a two-way hessian2 request frame (header and body) for <paramref name="invocation"/>.</summary>
    /// <param name="requestId">The id the response will carry.</param>
    /// <param name="invocation">The call.</param>
    /// <param name="timeoutMs">Sent as the <c>timeout</c> attachment so the provider may give up too; 0 for none.</param>
    /// <param name="output">Receives the frame.</param>
    public static void WriteRequest(long requestId, DubboInvocation invocation, int timeoutMs, ArrayBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(output);
        var start = output.WrittenCount;
        output.GetSpan(DubboHeader.Length)[..DubboHeader.Length].Clear();
        output.Advance(DubboHeader.Length);

        var writer = new Hessian2Writer(output);
        var version = string.IsNullOrEmpty(invocation.Version) ? "0.0.0" : invocation.Version;
        writer.WriteString(DubboVersion);
        writer.WriteString(invocation.Service);
        writer.WriteString(version);
        writer.WriteString(invocation.Method);
        writer.WriteString(invocation.ParameterTypes);
        foreach (var argument in invocation.Arguments)
        {
            writer.WriteValue(argument);
        }

        // The attachments map: what Dubbo's own consumer sends (path, interface, version, group, timeout), then ours.
        var attachments = new HessianMap();
        attachments.Entries.Add(new("path", invocation.Service));
        attachments.Entries.Add(new("interface", invocation.Service));
        attachments.Entries.Add(new("version", version));
        if (!string.IsNullOrEmpty(invocation.Group))
        {
            attachments.Entries.Add(new("group", invocation.Group));
        }

        if (timeoutMs > 0)
        {
            attachments.Entries.Add(new("timeout", timeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (invocation.Attachments is not null)
        {
            foreach (var attachment in invocation.Attachments)
            {
                attachments.Entries.Add(new(attachment.Key, attachment.Value));
            }
        }

        writer.WriteMap(attachments);
        var bodyLength = output.WrittenCount - start - DubboHeader.Length;
        if (bodyLength > DubboHeader.MaxBodyLength)
        {
            throw new DubboProtocolException($"request body of {bodyLength} bytes exceeds the {DubboHeader.MaxBodyLength}-byte payload limit");
        }

        var header = new DubboHeader(DubboHeader.FlagRequest | DubboHeader.FlagTwoWay | DubboHeader.Hessian2, 0, requestId, bodyLength);
        // ArrayBufferWriter has no API to patch written bytes; its written memory is backed by its own array.
        header.Write(System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span.Slice(start, DubboHeader.Length));
    }

    /// <summary>Writes a heartbeat event: a request (two-way) or the reply to one; the body is hessian2 null.</summary>
    public static void WriteHeartbeat(long requestId, bool reply, Span<byte> destination)
    {
        var flags = reply
            ? (byte)(DubboHeader.FlagEvent | DubboHeader.Hessian2)
            : (byte)(DubboHeader.FlagRequest | DubboHeader.FlagTwoWay | DubboHeader.FlagEvent | DubboHeader.Hessian2);
        new DubboHeader(flags, reply ? (byte)DubboStatus.Ok : (byte)0, requestId, 1).Write(destination);
        destination[DubboHeader.Length] = (byte)'N';
    }

    /// <summary>Length of a heartbeat frame.</summary>
    public const int HeartbeatLength = DubboHeader.Length + 1;

    /// <summary>Decodes the body of a status-20 response.</summary>
    /// <remarks>
    /// The flag is an int: 0 exception, 1 value, 2 null; 3, 4 and 5 are the same with an attachments map after
    /// (Dubbo 2.6.3 and later).
    /// </remarks>
    public static DubboResponse ReadResponseBody(ReadOnlySpan<byte> body)
    {
        var reader = new Hessian2Reader(body);
        var flag = reader.ReadInt();
        var withAttachments = flag >= 3;
        var kind = (DubboResponseKind)(withAttachments ? flag - 3 : flag);
        object? value = kind switch
        {
            DubboResponseKind.Value or DubboResponseKind.Exception => reader.ReadValue(),
            DubboResponseKind.Null => null,
            _ => throw new DubboProtocolException($"unknown response flag {flag}"),
        };
        if (flag > 5)
        {
            throw new DubboProtocolException($"unknown response flag {flag}");
        }

        HessianMap? attachments = null;
        if (withAttachments && !reader.End)
        {
            attachments = reader.ReadValue() as HessianMap;
        }

        return new DubboResponse(kind, value, attachments);
    }

    /// <summary>The error message of a response whose status is not 20.</summary>
    /// <remarks>
    /// Dubbo writes the message as one hessian2 string. Some providers (dubbo.ts) put a response flag before it, as
    /// in a status-20 body; that flag is skipped.
    /// </remarks>
    public static string ReadErrorMessage(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return "";
        }

        try
        {
            var reader = new Hessian2Reader(body);
            var first = reader.ReadValue();
            if (first is int && !reader.End)
            {
                first = reader.ReadValue();
            }

            return first switch
            {
                null => "",
                string s => s,
                HessianObject o => DubboExceptionInfo.From(o).ToString(),
                var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? "",
            };
        }
        catch (HessianFormatException)
        {
            return "(undecodable error body)";
        }
    }
}
