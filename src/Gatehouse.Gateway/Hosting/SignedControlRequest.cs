using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// Reads and authenticates the body of a privileged control-port call (config push, explain): it must be signed with the
/// control secret, or one of the previous secrets during a rotation (<see cref="ControlSignature"/>). A gateway without a
/// control secret refuses every such call.
/// </summary>
internal static class SignedControlRequest
{
    /// <summary>Control bodies are small JSON documents; anything near this size is not one.</summary>
    public const int MaxBodySize = 64 * 1024;

    /// <summary>
    /// The body when the call is signed, else null after answering it (401 naming why, or 413). <paramref name="refused"/>
    /// gets the reason for the log when the signature is missing or wrong.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpContext context, GatewayOptions options, TimeProvider time, string what,
        Action<string> refused)
    {
        if (string.IsNullOrEmpty(options.ControlSecret))
        {
            refused("no control secret configured");
            await ControlEndpoints.WriteProblemAsync(context, 401, "unauthorized", "Unauthorized",
                $"This gateway has no control secret ({GatewayOptions.ControlSecretKey}); every {what} is refused.");
            return null;
        }

        byte[]? body;
        try
        {
            body = await ReadBodyAsync(context.Request, context.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            if (Forwarding.HttpForwarder.ClassifyClientBodyError(ex) == Forwarding.ForwarderError.RequestBodyClient)
            {
                // The sender reset or closed mid-body: nobody reads an answer, and answering would make Kestrel drain
                // a body whose failed read left its reader mid-read (an error with a stack trace). Abort quietly, as
                // the traffic port's filters do (BufferedRequestBody.AbortGoneClient).
                context.Abort();
                return null;
            }

            await ControlEndpoints.WriteProblemAsync(context, 400, "bad_request", "Bad request", $"The {what} body could not be read.");
            return null;
        }

        if (body is null)
        {
            await ControlEndpoints.WriteProblemAsync(context, 413, "payload_too_large", "Payload too large",
                $"A {what} body is at most {MaxBodySize} bytes.");
            return null;
        }

        // The raw request target is what the sender signed; the decoded Path could differ from it.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString;
        // Previous control secrets are accepted too, so an admin still signing with one keeps reaching this node mid-rotation.
        var reason = ControlSignature.VerifyAny(options.ControlSecret, options.PreviousControlSecrets,
            context.Request.Headers[ControlSignature.TimestampHeader], context.Request.Headers[ControlSignature.SignatureHeader],
            context.Request.Method, target, body, time.GetUtcNow(), out _);
        if (reason is not null)
        {
            refused(reason);
            var verb = char.ToUpperInvariant(what[0]) + what[1..];
            await ControlEndpoints.WriteProblemAsync(context, 401, "unauthorized", "Unauthorized", $"{verb} refused: {reason}.");
            return null;
        }

        return body;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodySize)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodySize)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
