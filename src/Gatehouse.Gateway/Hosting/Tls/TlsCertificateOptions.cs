namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// One more certificate of the TLS traffic port (<c>Gatehouse:Gateway:Tls:Certificates:N</c>), served to clients whose
/// TLS server name (SNI) is one of its <see cref="Hosts"/>. The same file settings as the single certificate of
/// <see cref="GatewayTlsOptions"/>: a PKCS#12 file or a PEM pair, loaded, checked and reloaded the same way.
/// </summary>
public sealed class TlsCertificateOptions
{
    /// <summary>PKCS#12 (.pfx/.p12) file holding the leaf with its key and its intermediates.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/> or of an encrypted PEM key; prefer the environment to the command line.</summary>
    public string? Password { get; set; }

    /// <summary>PEM certificate file: the leaf first, then its intermediates in issuing order.</summary>
    public string? CertificatePemPath { get; set; }

    /// <summary>PEM private key of the leaf; when unset the key is read from <see cref="CertificatePemPath"/>.</summary>
    public string? KeyPemPath { get; set; }

    /// <summary>
    /// Server names this certificate answers: exact names (<c>api.example.com</c>) or one-label wildcards
    /// (<c>*.example.com</c>). Empty: the DNS names of the certificate's subject alternative names.
    /// </summary>
    public List<string> Hosts { get; set; } = [];
}
