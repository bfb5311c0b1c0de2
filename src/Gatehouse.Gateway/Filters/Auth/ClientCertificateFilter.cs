using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Hosting.Tls;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Requires a TLS client certificate on one API (<c>auth.clientCertificate</c>): none on the connection → 401
/// <c>unauthorized</c>; present but in neither allow-list → 403 <c>forbidden</c>. A certificate on the connection was
/// verified in the handshake (<see cref="ClientCertificateTrust"/> refuses any other), so only the lists are checked
/// here: two frozen-set lookups of strings computed once per connection.
/// </summary>
internal sealed class ClientCertificateFilter : BuiltInFilter
{
    // RFC 9110 §15.5.2: a 401 carries a challenge; the scheme names what is missing (no browser dialog follows).
    private static readonly KeyValuePair<string, string>[] Challenge = [new("WWW-Authenticate", "ClientCertificate realm=\"gatehouse\"")];

    private readonly FrozenSet<string>? _subjects;
    private readonly FrozenSet<string>? _thumbprints;

    public ClientCertificateFilter(ClientCertificateConfig config)
    {
        if (config.Subjects is { Count: > 0 } subjects)
        {
            _subjects = subjects.ToFrozenSet(StringComparer.Ordinal);
        }

        if (config.Thumbprints is { Count: > 0 } thumbprints)
        {
            var normalized = new List<string>(thumbprints.Count);
            foreach (var thumbprint in thumbprints)
            {
                // Validated with the config; an entry that somehow is not a fingerprint matches nothing.
                if (ConfigValidator.NormalizeThumbprint(thumbprint) is { } hex)
                {
                    normalized.Add(hex);
                }
            }

            _thumbprints = normalized.ToFrozenSet(StringComparer.Ordinal);
        }
    }

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        if (context.Connection.ClientCertificate is not { } certificate)
        {
            return Reject(context, GatewayError.Unauthorized,
                "The API requires a TLS client certificate; none was presented (send one from a trusted CA to the gateway's TLS port).", Challenge);
        }

        if (_subjects is null && _thumbprints is null)
        {
            return ValueTask.FromResult(true);
        }

        var identity = ClientCertificateIdentity.Of(certificate);
        if (_subjects?.Contains(identity.Subject) == true || _thumbprints?.Contains(identity.Sha256) == true)
        {
            return ValueTask.FromResult(true);
        }

        return Reject(context, GatewayError.Forbidden, "The TLS client certificate presented is not allowed to call this API.", null);
    }

    private static async ValueTask<bool> Reject(HttpContext context, GatewayError error, string detail, KeyValuePair<string, string>[]? headers)
    {
        await ProblemWriter.WriteAsync(context, error, detail, headers);
        return false;
    }
}
