using System.Buffers;
using BenchmarkDotNet.Attributes;
using Gatehouse.Redis.Protocol;

namespace Gatehouse.Benchmarks.Redis;

/// <summary>
/// The wire work of one shared rate-limit decision: writing the EVALSHA command (key, two integer arguments)
/// into a reused buffer, and parsing its <c>{allowed, remaining, wait}</c> reply.
/// </summary>
/// <remarks>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</remarks>
[MemoryDiagnoser]
public class RespBenchmarks
{
    private static readonly byte[] EvalSha = "EVALSHA"u8.ToArray();
    private static readonly byte[] Sha = "0123456789abcdef0123456789abcdef01234567"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly RedisArg[] _command = [EvalSha, Sha, 1L, "gatehouse:rl:api:orders/get-order:10.0.0.7", 250L, 1_000_000L];
    private readonly byte[] _reply = "*3\r\n:1\r\n:3999\r\n:0\r\n"u8.ToArray();

    [Benchmark]
    public int WriteEvalSha()
    {
        _output.ResetWrittenCount();
        RespWriter.WriteCommand(_output, _command);
        return _output.WrittenCount;
    }

    [Benchmark]
    public long ParseDecisionReply()
    {
        RespParser.TryParse(_reply, out var value, out _);
        return value[0].Integer + value[1].Integer + value[2].Integer;
    }
}
