namespace Gatehouse.Core.Config;

/// <summary>
/// How the gateway verifies, and authenticates itself to, the https nodes of one service
/// (<c>services[].upstreamTls</c>). Absent: https nodes are verified against the machine's trust store and the node's
/// host name, with no client certificate. Plain http nodes ignore it.
/// </summary>
/// <remarks>
/// A service setting rather than a policy: trust material belongs to the nodes, which every API of the service shares,
/// and one node presents one certificate. The files are read when a snapshot is compiled, never per request.
/// </remarks>
public sealed record UpstreamTlsConfig
{
    /// <summary>
    /// PEM bundle of root certificates. When given, node certificates must chain to one of these and only these: the
    /// machine's trust store is not consulted for this service.
    /// </summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate for mutual TLS: the leaf first, then any intermediates. Needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertFile { get; init; }

    /// <summary>Unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1) of <see cref="ClientCertFile"/>.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>PKCS#12 file holding the client certificate, its key and any intermediates; instead of the PEM pair.</summary>
    public string? ClientPfxFile { get; init; }

    /// <summary>Name of the environment variable holding the password of <see cref="ClientPfxFile"/>; absent: no password.</summary>
    public string? ClientPfxPasswordRef { get; init; }

    /// <summary>
    /// Host name the node certificate must be issued for; null: the host of the node's address. Useful when nodes are
    /// registered by IP address but carry a certificate for a service name. Changes verification only: the TLS SNI
    /// still carries the node's host (none for an IP address).
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// Accept any node certificate (no chain or name check). For tests and migrations only; the gateway logs a warning
    /// whenever it opens a connection pool with verification off.
    /// </summary>
    public bool InsecureSkipVerify { get; init; }
}
