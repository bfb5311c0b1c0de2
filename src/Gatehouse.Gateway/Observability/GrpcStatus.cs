using Microsoft.Extensions.Primitives;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// The <c>grpc-status</c> of a relayed gRPC call: read from the node's trailers, or from its headers for a
/// trailers-only response (gRPC over HTTP/2, "Responses"), so that a failed call is not recorded as the HTTP 200 it
/// travels in.
/// </summary>
internal static class GrpcStatus
{
    public const string HeaderName = "grpc-status";

    /// <summary>No <c>grpc-status</c> was seen (not a gRPC call, or the node sent none).</summary>
    public const int None = -1;

    // The canonical code names as gRPC's own Prometheus instrumentation spells them (grpc_code label).
    private static readonly string[] Names =
    [
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
        "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable",
        "DataLoss", "Unauthenticated",
    ];

    /// <summary>The name of code 0..16; UNKNOWN for anything else, as gRPC clients treat it.</summary>
    public static string Name(int status) => (uint)status < (uint)Names.Length ? Names[status] : "Unknown";

    /// <summary>Whether the request is a gRPC call (<c>application/grpc</c>, <c>application/grpc+proto</c>, …).</summary>
    public static bool IsGrpcRequest(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == 16 || contentType[16] is '+' or ';');

    /// <summary>Parses a <c>grpc-status</c> value (decimal digits); <see cref="None"/> when absent or malformed.</summary>
    public static int Parse(StringValues values)
    {
        if (values.Count != 1)
        {
            return None;
        }

        var text = values[0].AsSpan().Trim();
        if (text.Length is 0 or > 3)
        {
            return None;
        }

        var status = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return None;
            }

            status = (status * 10) + (c - '0');
        }

        return status;
    }
}
