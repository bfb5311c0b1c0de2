using System.Text;
using Grpc.Core;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>Hand-written descriptors of <c>test.Probe</c> (UTF-8 strings as messages): every client can call it without a .proto.</summary>
internal static class ProbeGrpcMethods
{
    public const string UnaryPath = "/test.Probe/Unary";
    public const string StreamPath = "/test.Probe/Stream";

    private static readonly Marshaller<string> Utf8 = Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString);

    public static readonly Method<string, string> Unary = new(MethodType.Unary, "test.Probe", "Unary", Utf8, Utf8);

    public static readonly Method<string, string> Stream = new(MethodType.ServerStreaming, "test.Probe", "Stream", Utf8, Utf8);

    public static readonly Method<string, string> Collect = new(MethodType.ClientStreaming, "test.Probe", "Collect", Utf8, Utf8);

    public static readonly Method<string, string> Chat = new(MethodType.DuplexStreaming, "test.Probe", "Chat", Utf8, Utf8);
}

/// <summary>What one node's service saw: its name, and the calls that ended by the client's cancellation.</summary>
public sealed class ProbeState(string name)
{
    private int _canceled;

    public string Name { get; } = name;

    public int Canceled => Volatile.Read(ref _canceled);

    internal void RecordCanceled() => Interlocked.Increment(ref _canceled);
}

/// <summary>The service base as codegen would write it; Grpc.AspNetCore finds the overrides by name.</summary>
[BindServiceMethod(typeof(ProbeGrpcServiceBase), nameof(BindService))]
public abstract class ProbeGrpcServiceBase
{
    public static void BindService(ServiceBinderBase binder, ProbeGrpcServiceBase? service)
    {
        binder.AddMethod(ProbeGrpcMethods.Unary, (UnaryServerMethod<string, string>)null!);
        binder.AddMethod(ProbeGrpcMethods.Stream, (ServerStreamingServerMethod<string, string>)null!);
        binder.AddMethod(ProbeGrpcMethods.Collect, (ClientStreamingServerMethod<string, string>)null!);
        binder.AddMethod(ProbeGrpcMethods.Chat, (DuplexStreamingServerMethod<string, string>)null!);
    }

    public virtual Task<string> Unary(string request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, ""));

    public virtual Task Stream(string request, IServerStreamWriter<string> writer, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, ""));

    public virtual Task<string> Collect(IAsyncStreamReader<string> reader, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, ""));

    public virtual Task Chat(IAsyncStreamReader<string> reader, IServerStreamWriter<string> writer, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, ""));
}

/// <summary>The node's service.</summary>
public sealed class ProbeGrpcService(ProbeState state) : ProbeGrpcServiceBase
{
    /// <summary>
    /// "missing": NOT_FOUND before any message (a trailers-only response); "whoami": the node's name;
    /// "sleep:MS": waits, counting a call the client cancels; anything else comes back as it was sent.
    /// </summary>
    public override async Task<string> Unary(string request, ServerCallContext context)
    {
        if (request == "missing")
        {
            throw new RpcException(new Status(StatusCode.NotFound, "no such thing: ünïcode 100%"));
        }

        if (request == "whoami")
        {
            return state.Name;
        }

        if (request.StartsWith("sleep:", StringComparison.Ordinal))
        {
            try
            {
                await Task.Delay(int.Parse(request.AsSpan(6)), context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                state.RecordCanceled();
                throw;
            }

            return "slept";
        }

        return request;
    }

    /// <summary>"N": N messages m0..m(N-1), then OK.</summary>
    public override async Task Stream(string request, IServerStreamWriter<string> writer, ServerCallContext context)
    {
        var count = int.Parse(request);
        for (var i = 0; i < count; i++)
        {
            await writer.WriteAsync("m" + i);
        }
    }

    /// <summary>Every message the client streams, joined with '+', once the client has finished.</summary>
    public override async Task<string> Collect(IAsyncStreamReader<string> reader, ServerCallContext context)
    {
        var all = new List<string>();
        await foreach (var message in reader.ReadAllAsync(context.CancellationToken))
        {
            all.Add(message);
        }

        return string.Join('+', all);
    }

    /// <summary>Answers each message as it arrives ("re:" + message), so a client that waits for each answer proves full duplex.</summary>
    public override async Task Chat(IAsyncStreamReader<string> reader, IServerStreamWriter<string> writer, ServerCallContext context)
    {
        await foreach (var message in reader.ReadAllAsync(context.CancellationToken))
        {
            await writer.WriteAsync("re:" + message);
        }
    }
}
