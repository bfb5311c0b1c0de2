namespace Gatehouse.Core.Config;

/// <summary>
/// A TLS client certificate, verified in the handshake on the gateway's TLS port (<c>Gateway:Tls:ClientCertificates</c>
/// optional or require, against <c>Gateway:Tls:ClientCaPath</c>). Without one the API answers 401 <c>unauthorized</c>;
/// with one outside the given allow-lists, 403 <c>forbidden</c>. Checked before the other auth methods.
/// </summary>
[MergedWholePolicy]
public sealed record ClientCertificateConfig
{
    /// <summary>Default true once a <c>clientCertificate</c> block is given; false turns the check off at this level.</summary>
    public bool? Required { get; init; }

    /// <summary>
    /// Subjects allowed, exactly as the gateway forwards them in <c>X-Gatehouse-Client-Cert-Subject</c> (the .NET
    /// distinguished-name form, <c>CN=orders, O=Example</c>). With <see cref="Thumbprints"/>, matching either list passes.
    /// </summary>
    public IReadOnlyList<string>? Subjects { get; init; }

    /// <summary>SHA-256 fingerprints allowed (hex of the DER certificate, case and ':' separators ignored).</summary>
    public IReadOnlyList<string>? Thumbprints { get; init; }
}
