using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Admin.Security;

/// <summary>
/// Verifies the <see cref="ControlSignature"/> on calls from gateways, with the shared control secret or, during a
/// rotation, one of the previous ones (<see cref="AdminOptions.PreviousControlSecretsKey"/>): a gateway not yet switched
/// to the new secret keeps pulling.
/// </summary>
internal sealed class ControlSignatureCheck(IConfiguration configuration, TimeProvider time)
{
    private readonly string[] _previous = ReadList(configuration, AdminOptions.PreviousControlSecretsKey);

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
        var failure = ControlSignature.VerifyAny(secret, _previous, request.Headers[ControlSignature.TimestampHeader],
            request.Headers[ControlSignature.SignatureHeader], request.Method, target, body, time.GetUtcNow(), out _);
        return failure is null ? null : Api.Problems.Unauthorized(failure);
    }

    /// <summary>
    /// A list setting: the values of <paramref name="key"/>'s children (<c>Key:0</c>, <c>Key:1</c>, ... as JSON arrays,
    /// indexed environment variables and command lines give them), or its own value when it is a single string.
    /// </summary>
    public static string[] ReadList(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        if (!string.IsNullOrEmpty(section.Value))
        {
            return [section.Value];
        }

        return [.. section.GetChildren().Select(c => c.Value).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!)];
    }
}
