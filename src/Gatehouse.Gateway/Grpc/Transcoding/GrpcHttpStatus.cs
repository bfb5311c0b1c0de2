namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// gRPC status codes as HTTP statuses: the mapping of <c>google/rpc/code.proto</c>, which
/// Microsoft.AspNetCore.Grpc.JsonTranscoding and Envoy's transcoder use too.
/// </summary>
internal static class GrpcHttpStatus
{
    private static readonly string[] CodeNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    ];

    public static int ToHttp(int code) => code switch
    {
        0 => 200,
        1 => 499,
        3 => 400,
        4 => 504,
        5 => 404,
        6 => 409,
        7 => 403,
        8 => 429,
        9 => 400,
        10 => 409,
        11 => 400,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500, // UNKNOWN, INTERNAL, DATA_LOSS and codes outside the canonical range
    };

    /// <summary>The canonical name (<c>NOT_FOUND</c>), as google.rpc.Code spells it; UNKNOWN for codes outside 0..16.</summary>
    public static string Name(int code) => (uint)code < (uint)CodeNames.Length ? CodeNames[code] : "UNKNOWN";
}
