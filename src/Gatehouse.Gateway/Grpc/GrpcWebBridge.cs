using Grpc.AspNetCore.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Grpc;

/// <summary>
/// Bridges browser gRPC-Web calls to gRPC nodes: the request's body frames (base64-decoded for
/// <c>application/grpc-web-text</c>) go to the node as a gRPC call over HTTP/2, and the node's response comes back
/// as gRPC-Web, its trailers written as the final frame of the body (grpc/doc/PROTOCOL-WEB.md).
/// </summary>
/// <remarks>
/// The translation is Grpc.AspNetCore.Web's middleware (maintained with grpc-dotnet, whose gRPC-Web client is
/// tested against it) run as a branch of its own, so a request that is not gRPC-Web pays for one content-type
/// comparison and nothing else. The middleware marks the request as HTTP/2 while it runs (the gRPC server it was
/// written for insists on it); the request guard has checked the request as what it really is before the branch
/// starts. Everything after it — routing, policies, balancing, the forwarder, the gateway's own errors as gRPC
/// statuses — sees an ordinary gRPC call.
/// </remarks>
internal static class GrpcWebBridge
{
    private const string GrpcWebContentType = "application/grpc-web";
    private const string GrpcWebTextContentType = "application/grpc-web-text";

    /// <summary>
    /// The handler every proxied request reaches after the guard: <paramref name="handler"/> itself, or, with the
    /// bridge on, a delegate that sends gRPC-Web calls through the translation first.
    /// </summary>
    public static RequestDelegate Wrap(IApplicationBuilder app, RequestDelegate handler, bool enabled)
    {
        if (!enabled)
        {
            return handler;
        }

        var binary = Branch(app, handler, text: false);
        var text = Branch(app, handler, text: true);
        return context => Mode(context.Request) switch
        {
            WireMode.Binary => binary(context),
            WireMode.Text => text(context),
            _ => handler(context),
        };
    }

    /// <summary>
    /// gRPC-Web's wire mode of a request: a POST whose content type is <c>application/grpc-web</c> (binary frames) or
    /// <c>application/grpc-web-text</c> (base64), with or without a <c>+format</c> suffix or parameters.
    /// </summary>
    internal static WireMode Mode(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith(GrpcWebContentType, StringComparison.OrdinalIgnoreCase)
            || !HttpMethods.IsPost(request.Method))
        {
            return WireMode.None;
        }

        if (IsType(contentType, GrpcWebTextContentType.Length) && contentType.StartsWith(GrpcWebTextContentType, StringComparison.OrdinalIgnoreCase))
        {
            return WireMode.Text;
        }

        return IsType(contentType, GrpcWebContentType.Length) ? WireMode.Binary : WireMode.None;
    }

    /// <summary>The type ends at <paramref name="length"/>: the string ends there, or a suffix or parameter follows.</summary>
    private static bool IsType(string contentType, int length) =>
        contentType.Length == length || (contentType.Length > length && contentType[length] is '+' or ';' or ' ');

    private static RequestDelegate Branch(IApplicationBuilder app, RequestDelegate handler, bool text)
    {
        var branch = app.New();
        branch.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        branch.Use((context, next) =>
        {
            // gRPC over HTTP/2 requires "te: trailers" (servers built on gRPC's C core refuse a call without it); a
            // browser cannot send it, so the bridge does, as any gRPC-Web proxy must.
            var request = context.Request;
            request.Headers[HeaderNames.TE] = "trailers";

            // The middleware decodes a grpc-web-text body on the request's PipeReader only; the forwarder streams
            // HttpRequest.Body, which would still give the base64 text. The text's length is not the body's.
            if (text)
            {
                request.Body = new Base64RequestStream(request.Body);
                request.Headers.ContentLength = null;
            }

            return next(context);
        });
        branch.Run(handler);
        return branch.Build();
    }

    internal enum WireMode
    {
        None,
        Binary,
        Text,
    }
}
