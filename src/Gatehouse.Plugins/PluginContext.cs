using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Plugins;

/// <summary>
/// What a filter sees of one request: the exchange itself and what the gateway has already decided about it. One
/// instance is shared by every filter of the request, in both phases.
/// </summary>
public sealed class PluginContext
{
    // What few requests need, kept out of line so the context every filtered request allocates stays small.
    private Extras? _extras;

    /// <summary>Created by the gateway; public so filters can be tested without one.</summary>
    public PluginContext(HttpContext http, string service, string api, IPAddress? clientAddress)
    {
        ArgumentNullException.ThrowIfNull(http);
        Http = http;
        Service = service;
        Api = api;
        ClientAddress = clientAddress;
    }

    /// <summary>The exchange. Request headers changed in the request phase are what the node receives.</summary>
    public HttpContext Http { get; }

    /// <summary>The matched service's name.</summary>
    public string Service { get; }

    /// <summary>The matched API's id.</summary>
    public string Api { get; }

    /// <summary>
    /// The client's address as the gateway resolved it (the TCP peer, or the <c>X-Forwarded-For</c> entry past the
    /// gateway's trusted proxies); null only without a peer (in-memory test servers).
    /// </summary>
    public IPAddress? ClientAddress { get; }

    /// <summary>
    /// The request body, read by the gateway for a filter that declares <see cref="PluginPhases.RequestBody"/> (empty
    /// before that filter's place in the chain, and for a request without a body). Valid until the request ends;
    /// to send the node another body, set <c>Http.Request.Body</c> and its <c>Content-Length</c>.
    /// </summary>
    public ReadOnlyMemory<byte> RequestBody => _extras?.RequestBody ?? default;

    /// <summary>Whether the gateway has read <see cref="RequestBody"/>.</summary>
    public bool RequestBodyRead => _extras?.RequestBodyRead == true;

    /// <summary>Set by the gateway once it has read the body; public so filters can be tested without one.</summary>
    public void SetRequestBody(ReadOnlyMemory<byte> body)
    {
        var extras = _extras ??= new Extras();
        extras.RequestBody = body;
        extras.RequestBodyRead = true;
    }

    /// <summary><see cref="ClientAddress"/> as text (IPv4-mapped addresses shown as IPv4), computed once; empty when unknown.</summary>
    public string ClientIp => (_extras ??= new Extras()).ClientIp ??= ClientAddress switch
    {
        null => "",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };

    private sealed class Extras
    {
        public string? ClientIp;
        public ReadOnlyMemory<byte> RequestBody;
        public bool RequestBodyRead;
    }
}
