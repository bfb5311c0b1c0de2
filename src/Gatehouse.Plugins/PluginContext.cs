using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Plugins;

/// <summary>
/// What a filter sees of one request: the exchange itself and what the gateway has already decided about it. One
/// instance is shared by every filter of the request, in both phases.
/// </summary>
public sealed class PluginContext
{
    private string? _clientIp;

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

    /// <summary><see cref="ClientAddress"/> as text (IPv4-mapped addresses shown as IPv4), computed once; empty when unknown.</summary>
    public string ClientIp => _clientIp ??= ClientAddress switch
    {
        null => "",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };
}
