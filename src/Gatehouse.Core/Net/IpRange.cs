using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Core.Net;

/// <summary>
/// An inclusive range of addresses in one 128-bit space: IPv6 as is, IPv4 as its IPv4-mapped IPv6 form
/// (<c>::ffff:a.b.c.d</c>). One space means an IPv4 client matches an IPv4 rule whether it reached a dual-mode
/// socket as IPv4 or as IPv4-mapped IPv6, and a rule written as <c>::ffff:10.0.0.0/104</c> equals <c>10.0.0.0/8</c>.
/// </summary>
public readonly record struct IpRange(UInt128 First, UInt128 Last)
{
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    /// <summary>
    /// Parses a CIDR block (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>) or a single address (<c>192.0.2.7</c>, <c>::1</c>).
    /// Host bits past the prefix must be zero: <c>10.0.0.1/8</c> is refused because it usually hides a typo.
    /// </summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="range">The parsed range.</param>
    /// <param name="error">Why the text was refused, for a config error message.</param>
    public static bool TryParse(string? text, out IpRange range, out string? error)
    {
        range = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected an address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32";
            return false;
        }

        var span = text.AsSpan().Trim();
        var slash = span.IndexOf('/');
        var addressText = slash < 0 ? span : span[..slash];
        // Zone ids (fe80::1%eth0) name an interface of this host; they have no meaning in a rule.
        if (addressText.Contains('%') || !IPAddress.TryParse(addressText, out var address))
        {
            error = $"'{text}' is not a valid IP address or CIDR block";
            return false;
        }

        var isV4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (isV4 && addressText.Count('.') != 3)
        {
            // IPAddress also takes the legacy inet_aton forms ("10.1" is 10.0.0.1); in a rule they are typos.
            error = $"'{text}' is not a valid IP address or CIDR block (write all four parts of an IPv4 address)";
            return false;
        }

        var bits = isV4 ? 32 : 128;
        var prefix = bits;
        if (slash >= 0)
        {
            var prefixText = span[(slash + 1)..];
            if (prefixText.IsEmpty || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
                || prefix > bits)
            {
                error = $"'{text}' has an invalid prefix length; expected 0..{bits}";
                return false;
            }
        }

        var value = ToUInt128(address);
        if (isV4)
        {
            prefix += 96;
        }

        var hostMask = prefix == 128 ? UInt128.Zero : UInt128.MaxValue >> prefix;
        if ((value & hostMask) != UInt128.Zero)
        {
            error = $"'{text}' has bits set past the /{(isV4 ? prefix - 96 : prefix)} prefix; write the network address (e.g. {Format(value & ~hostMask, isV4)}/{(isV4 ? prefix - 96 : prefix)})";
            return false;
        }

        range = new IpRange(value, value | hostMask);
        return true;
    }

    /// <summary>The address as a number in the shared space; IPv4 (and IPv4-mapped IPv6) become <c>::ffff:a.b.c.d</c>.</summary>
    public static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            // Unreachable: no address family IPAddress supports is longer than 16 bytes.
            throw new InvalidOperationException($"Cannot write the bytes of address family {address.AddressFamily}.");
        }

        return written == 4
            ? MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public bool Contains(UInt128 address) => address >= First && address <= Last;

    private static string Format(UInt128 value, bool isV4)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return (isV4 ? new IPAddress(bytes[12..]) : new IPAddress(bytes)).ToString();
    }
}
