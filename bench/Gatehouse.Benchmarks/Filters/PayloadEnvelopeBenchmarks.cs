using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Gatehouse.Core.Security;

namespace Gatehouse.Benchmarks.Filters;

/// <summary>
/// The cryptographic cost of an encrypted exchange (<c>policy.encryption</c>): sealing a body into an envelope and
/// opening one in place, with a key-bound <see cref="AesGcm"/> reused as the gateway's pool reuses it, plus building
/// the associated data. Buffering and copying around it are not included.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class PayloadEnvelopeBenchmarks
{
    private AesGcm _aes = null!;
    private byte[] _body = null!;
    private byte[] _envelope = null!;
    private byte[] _sealed = null!;
    private byte[] _nonce = null!;

    [Params(1024, 64 * 1024)]
    public int BodyBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _aes = new AesGcm(PayloadEnvelope.DeriveKey("secret-of-bench-app-0123456789"), PayloadEnvelope.TagSize);
        _body = RandomNumberGenerator.GetBytes(BodyBytes);
        _nonce = RandomNumberGenerator.GetBytes(PayloadEnvelope.NonceSize);
        _envelope = new byte[PayloadEnvelope.SealedLength("application/json".Length, BodyBytes)];
        PayloadEnvelope.Seal(_aes, _nonce, "application/json", _body, Aad(), _envelope);
        _sealed = _envelope.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _aes.Dispose();

    private static byte[] Aad() => PayloadEnvelope.RequestAad("bench-app", "POST", "/orders/42", "a=1&b=2");

    [Benchmark]
    public int Seal() => PayloadEnvelope.Seal(_aes, _nonce, "application/json", _body, Aad(), _envelope);

    [Benchmark]
    public OpenResult Open()
    {
        // Open decrypts in place: start each run from the sealed bytes (the copy is part of the measured cost).
        _sealed.CopyTo(_envelope, 0);
        return PayloadEnvelope.Open(_aes, _envelope, Aad(), out _, out _);
    }
}
