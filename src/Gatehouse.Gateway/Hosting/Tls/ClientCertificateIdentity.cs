using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// What the gateway tells the upstream about a verified client certificate, and what <c>auth.clientCertificate</c>
/// lists match: the subject and the SHA-256 of the certificate's DER encoding. Computed once per certificate (per
/// connection: Kestrel hands every request of a connection the same instance) and kept beside it.
/// </summary>
internal sealed class ClientCertificateIdentity
{
    /// <summary>Request header carrying <see cref="SubjectHeaderValue"/> to the upstream; incoming copies are always removed.</summary>
    public const string SubjectHeader = "X-Gatehouse-Client-Cert-Subject";

    /// <summary>Request header carrying <see cref="Sha256"/> to the upstream; incoming copies are always removed.</summary>
    public const string Sha256Header = "X-Gatehouse-Client-Cert-Sha256";

    private static readonly ConditionalWeakTable<X509Certificate2, ClientCertificateIdentity> Cache = new();

    private ClientCertificateIdentity(X509Certificate2 certificate)
    {
        Subject = certificate.Subject;
        SubjectHeaderValue = HeaderSafe(Subject);
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(certificate.RawDataMemory.Span));
    }

    /// <summary>The subject distinguished name as .NET formats it (<c>CN=orders, O=Example</c>).</summary>
    public string Subject { get; }

    /// <summary><see cref="Subject"/> with '%', controls and non-ASCII characters percent-encoded (UTF-8), safe as a header value.</summary>
    public string SubjectHeaderValue { get; }

    /// <summary>Lower-case hex SHA-256 of the certificate's DER bytes, 64 characters.</summary>
    public string Sha256 { get; }

    public static ClientCertificateIdentity Of(X509Certificate2 certificate) => Cache.GetValue(certificate, static c => new ClientCertificateIdentity(c));

    /// <summary>
    /// A distinguished name may hold any character, CR and LF included; a header value must not (request splitting),
    /// and System.Net.Http sends Latin-1 only. Printable ASCII other than '%' passes as is.
    /// </summary>
    internal static string HeaderSafe(string value)
    {
        var safe = true;
        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or '%')
            {
                safe = false;
                break;
            }
        }

        if (safe)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is >= ' ' and <= '~' and not '%')
            {
                builder.Append(c);
                continue;
            }

            var rune = Rune.TryGetRuneAt(value, i, out var r) ? r : Rune.ReplacementChar;
            var length = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < length; b++)
            {
                builder.Append('%').Append(utf8[b].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }

            if (rune.IsBmp is false)
            {
                i++;
            }
        }

        return builder.ToString();
    }
}
