using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Admin.Security;

/// <summary>Verifies the <see cref="ControlSignature"/> on calls from gateways, with the shared control secret.</summary>
internal sealed class ControlSignatureCheck(IConfiguration configuration, TimeProvider time)
{
    /// <summary>Null when the request is signed correctly, else the 401 to answer with.</summary>
    public ProblemHttpResult? Check(HttpContext context, ReadOnlySpan<byte> body)
    {
        var secret = configuration[AdminOptions.ControlSecretKey];
        if (string.IsNullOrEmpty(secret))
        {
            return Api.Problems.Unauthorized($"the admin has no control secret ({AdminOptions.ControlSecretKey}); gateway calls are refused");
        }

        // The raw request target is what the gateway signed; re-encoding the decoded path could differ from it.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            target = context.Request.Path + context.Request.QueryString;
        }

        var request = context.Request;
        var failure = ControlSignature.Verify(secret, request.Headers[ControlSignature.TimestampHeader],
            request.Headers[ControlSignature.SignatureHeader], request.Method, target, body, time.GetUtcNow());
        return failure is null ? null : Api.Problems.Unauthorized(failure);
    }
}
