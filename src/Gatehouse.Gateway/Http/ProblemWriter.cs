using System.Buffers;
using System.Text.Json;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Http;

/// <summary>
/// Writes RFC 9457 problem JSON for errors the gateway answers itself. The body carries the stable
/// <c>code</c>, the request id and the trace id (every request has one), so a user report can be found in logs
/// and traces. Each response is counted by code (<see cref="ApiMetrics.RecordGatewayError"/>). A gRPC request
/// (<c>application/grpc*</c>) gets the same error as a gRPC status instead (<see cref="Grpc.GrpcErrors"/>).
/// </summary>
internal static class ProblemWriter
{
    private const string TypePrefix = "urn:gatehouse:problem:";
    private const string RequestIdHeader = "X-Request-Id";

    /// <param name="context">The exchange; nothing may have been sent yet.</param>
    /// <param name="error">Which error.</param>
    /// <param name="detail">Optional explanation for the caller.</param>
    /// <param name="headers">Extra response headers (e.g. Retry-After), set after earlier headers are cleared.</param>
    public static Task WriteAsync(HttpContext context, GatewayError error, string? detail = null,
        KeyValuePair<string, string>[]? headers = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status: reset so the client cannot mistake a truncated exchange for a complete one.
            context.Abort();
            return Task.CompletedTask;
        }

        // A response being collected for a body phase (sealing, say): a gateway error carries no payload and goes out plain.
        Filters.Encryption.BufferedResponseBody.Bypass(context);

        // Counted per code for the matched API (or the unmatched cells); the trace id goes into the body.
        var telemetry = context.Features.Get<RequestTelemetry>();
        telemetry?.RecordGatewayError(error);

        var status = GatewayErrors.Status(error);
        var code = GatewayErrors.Code(error);

        // The id is resolved here for errors answered before forwarding (the forwarder resolves it on the success
        // path, so a proxied request does it once). Clear() drops headers a failed upstream attempt may have set.
        var requestId = RequestHeaderCopier.ResolveRequestId(context);
        response.Clear();
        response.Headers[RequestIdHeader] = requestId;

        foreach (var (name, value) in headers ?? [])
        {
            response.Headers[name] = value;
        }

        if (GrpcStatus.IsGrpcRequest(context.Request.ContentType))
        {
            Grpc.GrpcErrors.Write(context, error, detail);
            return Task.CompletedTask;
        }

        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        response.Headers[HeaderNames.CacheControl] = "no-store";

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", TypePrefix + code);
            json.WriteString("title", GatewayErrors.Title(error));
            json.WriteNumber("status", status);
            json.WriteString("code", code);
            if (detail is not null)
            {
                json.WriteString("detail", detail);
            }

            json.WriteString("instance", context.Request.Path.Value);
            json.WriteString("requestId", requestId);

            if (telemetry is not null)
            {
                json.WriteString("traceId", telemetry.TraceIdHex);
            }
            else if (System.Diagnostics.Activity.Current is { } activity)
            {
                json.WriteString("traceId", activity.TraceId.ToHexString());
            }

            json.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        return context.Request.Method == HttpMethods.Head
            ? Task.CompletedTask
            : response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
