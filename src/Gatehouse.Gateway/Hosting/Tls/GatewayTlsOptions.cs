using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// TLS termination on the traffic path (section <c>Gatehouse:Gateway:Tls</c>). Off unless a certificate is
/// configured, either a PKCS#12 file (<see cref="CertificatePath"/>) or a PEM pair
/// (<see cref="CertificatePemPath"/> + <see cref="KeyPemPath"/>). The control port always stays plain HTTP.
/// </summary>
public sealed class GatewayTlsOptions
{
    public const string Section = $"{GatewayOptions.Section}:Tls";

    /// <summary>HTTPS traffic port (HTTP/1.1 and HTTP/2 by ALPN), bound only when a certificate is configured.</summary>
    public int Port { get; set; } = 8443;

    /// <summary>PKCS#12 (.pfx/.p12) file holding the leaf with its key and, ideally, the intermediates.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>
    /// Password of <see cref="CertificatePath"/>, or of an encrypted PKCS#8 key in <see cref="KeyPemPath"/>. Set it
    /// through the environment (<c>Gatehouse__Gateway__Tls__Password</c>) rather than the command line, where other
    /// users of the machine can read it.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>PEM certificate file: the leaf first, then its intermediates in issuing order.</summary>
    public string? CertificatePemPath { get; set; }

    /// <summary>PEM private key of the leaf; when unset the key is read from <see cref="CertificatePemPath"/> itself.</summary>
    public string? KeyPemPath { get; set; }

    /// <summary>What a failed chain check at load does; <see cref="TlsChainCheckMode.Refuse"/> by default.</summary>
    public TlsChainCheckMode ChainCheck { get; set; } = TlsChainCheckMode.Refuse;

    /// <summary>
    /// PEM bundle of the roots the chain must reach (an internal CA, say); when unset, the machine's system
    /// trust store is used.
    /// </summary>
    public string? TrustedRootsPath { get; set; }

    /// <summary>
    /// How often the certificate files are read for changes; a change is loaded and checked like at start and, if
    /// it passes, served to new connections. <see cref="TimeSpan.Zero"/> turns reloading off.
    /// </summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Serve HTTPS only: the plain traffic port (<see cref="GatewayOptions.Port"/>) is not bound.</summary>
    public bool DisablePlain { get; set; }

    /// <summary>
    /// More certificates on the same port, chosen per handshake by the client's server name (SNI). The single
    /// certificate above, when set, comes first; the first certificate is the default for a handshake without a
    /// server name or with one no certificate lists.
    /// </summary>
    public List<TlsCertificateOptions> Certificates { get; set; } = [];

    /// <summary>
    /// Whether the TLS port asks clients for a certificate: <see cref="TlsClientCertificateMode.None"/> (default),
    /// <see cref="TlsClientCertificateMode.Optional"/> or <see cref="TlsClientCertificateMode.Require"/>. A certificate
    /// that is sent is always verified against <see cref="ClientCaPath"/>; one that fails ends the handshake.
    /// </summary>
    public TlsClientCertificateMode ClientCertificates { get; set; } = TlsClientCertificateMode.None;

    /// <summary>
    /// PEM bundle of the CAs client certificates are verified against: its self-signed certificates are the only
    /// roots trusted (no system store, no downloads), any others are intermediates the client need not send.
    /// </summary>
    public string? ClientCaPath { get; set; }

    /// <summary>True when the single certificate (the keys above) is configured.</summary>
    public bool HasSingleCertificate => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(CertificatePemPath);

    /// <summary>True when a certificate source is configured, which is what turns TLS on.</summary>
    public bool Enabled => HasSingleCertificate || Certificates.Count > 0;
}

/// <summary>Whether the TLS traffic port asks for client certificates.</summary>
public enum TlsClientCertificateMode
{
    /// <summary>No certificate is asked for.</summary>
    None,

    /// <summary>Asked for; a handshake without one proceeds (APIs may still require one: <c>auth.clientCertificate</c>).</summary>
    Optional,

    /// <summary>A handshake without a verified client certificate fails.</summary>
    Require,
}

/// <summary>What the gateway does when the certificate it is given would fail at strict clients.</summary>
public enum TlsChainCheckMode
{
    /// <summary>The node does not start; the log says what is wrong and which certificate is missing.</summary>
    Refuse,

    /// <summary>The same findings are logged as warnings and the node serves anyway.</summary>
    Warn,

    /// <summary>No chain, trust or validity check; only what loading itself needs (files, password, key).</summary>
    Off,
}

/// <summary>Checks the shape of <see cref="GatewayTlsOptions"/> at start, naming each bad key; files are checked when loaded.</summary>
internal sealed class GatewayTlsOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var tls = options.Tls;
        var errors = new List<string>();
        const string S = GatewayTlsOptions.Section;
        var hasPfx = !string.IsNullOrWhiteSpace(tls.CertificatePath);
        var hasPem = !string.IsNullOrWhiteSpace(tls.CertificatePemPath);
        if (hasPfx && hasPem)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.CertificatePath)} (PKCS#12) and {S}:{nameof(GatewayTlsOptions.CertificatePemPath)} (PEM) are both set; set one of them.");
        }

        if (!string.IsNullOrWhiteSpace(tls.KeyPemPath) && !hasPem)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.KeyPemPath)} is set without {S}:{nameof(GatewayTlsOptions.CertificatePemPath)}; a PEM key needs its certificate file.");
        }

        TlsCertificateListValidator.Validate(tls, errors);
        if (tls.DisablePlain && !tls.Enabled)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.DisablePlain)} is true but no certificate is configured ({S}:{nameof(GatewayTlsOptions.CertificatePath)}, {S}:{nameof(GatewayTlsOptions.CertificatePemPath)} or {S}:{nameof(GatewayTlsOptions.Certificates)}); the node would serve no traffic.");
        }

        if (tls.Enabled)
        {
            if (tls.Port is < 1 or > 65535)
            {
                errors.Add($"{S}:{nameof(GatewayTlsOptions.Port)} must be between 1 and 65535 (was {tls.Port}).");
            }
            else if (tls.Port == options.ControlPort)
            {
                errors.Add($"{S}:{nameof(GatewayTlsOptions.Port)} must differ from {GatewayOptions.Section}:{nameof(GatewayOptions.ControlPort)} (both {tls.Port}).");
            }
            else if (tls.Port == options.Port && !tls.DisablePlain)
            {
                errors.Add($"{S}:{nameof(GatewayTlsOptions.Port)} must differ from {GatewayOptions.Section}:{nameof(GatewayOptions.Port)} (both {tls.Port}) unless {S}:{nameof(GatewayTlsOptions.DisablePlain)} is true.");
            }
        }

        var hasClientCa = !string.IsNullOrWhiteSpace(tls.ClientCaPath);
        if (tls.ClientCertificates != TlsClientCertificateMode.None && !hasClientCa)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.ClientCertificates)} is '{tls.ClientCertificates.ToString().ToLowerInvariant()}' but {S}:{nameof(GatewayTlsOptions.ClientCaPath)} is not set; client certificates are verified against that CA bundle only.");
        }
        else if (tls.ClientCertificates == TlsClientCertificateMode.None && hasClientCa)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.ClientCaPath)} is set but {S}:{nameof(GatewayTlsOptions.ClientCertificates)} is 'none'; set it to 'optional' or 'require', or remove the CA path.");
        }

        if (tls.ClientCertificates != TlsClientCertificateMode.None && !tls.Enabled)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.ClientCertificates)} is '{tls.ClientCertificates.ToString().ToLowerInvariant()}' but no TLS certificate is configured; client certificates are asked for on the TLS port only.");
        }

        if (tls.ReloadInterval < TimeSpan.Zero)
        {
            errors.Add($"{S}:{nameof(GatewayTlsOptions.ReloadInterval)} must be 00:00:00 (off) or positive (was {tls.ReloadInterval}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
