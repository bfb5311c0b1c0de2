using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Redis;

/// <summary>
/// A Lua script run with EVALSHA. Its SHA1 is computed once here (it is what SCRIPT LOAD returns), so the
/// normal path sends 40 bytes instead of the script; a NOSCRIPT reply (cache flushed, server restarted) makes
/// the client load it and retry once.
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        Source = source;
        SourceBytes = Encoding.UTF8.GetBytes(source);
        Sha1 = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA1.HashData(SourceBytes)));
    }

    public string Source { get; }

    internal byte[] SourceBytes { get; }

    /// <summary>Lower-case hex SHA1 as ASCII bytes, ready to write as the EVALSHA argument.</summary>
    public byte[] Sha1 { get; }

    public string Sha1Text => Encoding.ASCII.GetString(Sha1);
}
