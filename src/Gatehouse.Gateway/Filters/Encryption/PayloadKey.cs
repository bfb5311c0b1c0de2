using System.Collections.Frozen;
using System.Security.Cryptography;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.Filters.Auth;

namespace Gatehouse.Gateway.Filters.Encryption;

/// <summary>
/// The payload key of one app (<see cref="PayloadEnvelope.DeriveKey(ReadOnlySpan{byte})"/>), derived once when the
/// snapshot is compiled, with a small pool of <see cref="AesGcm"/> instances bound to it.
/// </summary>
/// <remarks>
/// An <see cref="AesGcm"/> keeps one native cipher context and must not be used by two threads at once; creating
/// one per request would redo the key schedule every time. The pool is a fixed array of slots taken and given back
/// with interlocked exchanges: no lock, and an instance that finds no free slot is disposed.
/// </remarks>
internal sealed class PayloadKey
{
    private readonly byte[] _key;
    private readonly AesGcm?[] _pool = new AesGcm?[Math.Clamp(Environment.ProcessorCount * 2, 4, 64)];

    private PayloadKey(string appKey, byte[] key)
    {
        AppKey = appKey;
        _key = key;
    }

    public string AppKey { get; }

    /// <summary>A cipher for this app's key; give it back with <see cref="Return"/>.</summary>
    public AesGcm Rent()
    {
        var start = Environment.CurrentManagedThreadId % _pool.Length;
        for (var i = 0; i < _pool.Length; i++)
        {
            if (Interlocked.Exchange(ref _pool[(start + i) % _pool.Length], null) is { } cipher)
            {
                return cipher;
            }
        }

        return new AesGcm(_key, PayloadEnvelope.TagSize);
    }

    public void Return(AesGcm cipher)
    {
        var start = Environment.CurrentManagedThreadId % _pool.Length;
        for (var i = 0; i < _pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _pool[(start + i) % _pool.Length], cipher, null) is null)
            {
                return;
            }
        }

        cipher.Dispose();
    }

    /// <summary>The payload keys of the enabled apps, by app key.</summary>
    public static FrozenDictionary<string, PayloadKey> CompileAll(IEnumerable<SigningApp> apps)
    {
        var keys = new Dictionary<string, PayloadKey>(StringComparer.Ordinal);
        foreach (var app in apps)
        {
            keys[app.AppKey] = new PayloadKey(app.AppKey, PayloadEnvelope.DeriveKey(app.Secret));
        }

        return keys.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
