using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gatehouse.Gateway.FunctionalTests.Grpc;

/// <summary>How one call ended, as the client library reported it.</summary>
public sealed record GrpcOutcome(int Code, string Message, string[] Responses, long[] Sizes)
{
    public override string ToString() =>
        $"code {Code} '{Message}', {Responses.Length} response(s): {string.Join(", ", Responses.Select(r => r.Length > 20 ? r[..20] + "…" : r))}";
}

/// <summary>One call to make: the method, the request, and the client-side deadline, cancellation and request size.</summary>
public sealed record GrpcCall(string Path, string Request, string? Service = null, int? DeadlineMs = null,
    int? CancelAfterMs = null, int? BigRequestBytes = null)
{
    public bool IsStreaming => Path == ProbeGrpcMethods.StreamPath;
}

/// <summary>
/// The three gRPC clients the gateway is tested with: Grpc.Net.Client in-process, and @grpc/grpc-js (Node) and
/// Debian's python3-grpcio as processes running the scripts under test/tools, each printing one JSON line.
/// </summary>
public static class GrpcClients
{
    public const string Dotnet = "dotnet";
    public const string Node = "node";
    public const string Python = "python";

    public static readonly TheoryData<string> All = new() { Dotnet, Node, Python };

    /// <summary>Makes <paramref name="call"/> with <paramref name="client"/> at 127.0.0.1:<paramref name="port"/> (h2c, or TLS trusting <paramref name="tlsRoot"/>).</summary>
    public static Task<GrpcOutcome> CallAsync(string client, int port, GrpcCall call, string? tlsRoot = null) => client switch
    {
        Dotnet => CallDotnetAsync(port, call, tlsRoot),
        Node => RunAsync("node", [Path.Combine(ToolsDir, "node", "grpc-call.js")], port, call, tlsRoot),
        // Debian's interpreter: python3-grpcio is installed for it, not for another python3 on the PATH.
        Python => RunAsync("/usr/bin/python3", [Path.Combine(ToolsDir, "python", "grpc_call.py")], port, call, tlsRoot),
        _ => throw new ArgumentOutOfRangeException(nameof(client), client, null),
    };

    /// <summary>test/tools of the repository (scripts and their npm packages).</summary>
    public static string ToolsDir { get; } = FindToolsDir();

    private static async Task<GrpcOutcome> CallDotnetAsync(int port, GrpcCall call, string? tlsRoot)
    {
        var scheme = tlsRoot is null ? "http" : "https";
        using var channel = GrpcChannel.ForAddress($"{scheme}://127.0.0.1:{port}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            },
        });
        var invoker = channel.CreateCallInvoker();
        using var cancel = new CancellationTokenSource();
        if (call.CancelAfterMs is { } after)
        {
            cancel.CancelAfter(after);
        }

        var options = new CallOptions(
            call.Service is null ? null : new Metadata { { "serviceName", call.Service } },
            call.DeadlineMs is { } ms ? DateTime.UtcNow.AddMilliseconds(ms) : null,
            cancel.Token);
        var request = call.BigRequestBytes is { } big ? new string('x', big) : call.Request;
        var responses = new List<string>();
        try
        {
            if (call.IsStreaming)
            {
                using var stream = invoker.AsyncServerStreamingCall(ProbeGrpcMethods.Stream, null, options, request);
                while (await stream.ResponseStream.MoveNext(CancellationToken.None))
                {
                    responses.Add(stream.ResponseStream.Current);
                }
            }
            else
            {
                responses.Add(await invoker.AsyncUnaryCall(ProbeGrpcMethods.Unary, null, options, request));
            }

            return Outcome(0, "", responses);
        }
        catch (RpcException e)
        {
            return Outcome((int)e.StatusCode, e.Status.Detail, responses);
        }
    }

    private static GrpcOutcome Outcome(int code, string message, List<string> responses) => new(code, message,
        responses.Select(r => r.Length > 100 ? r[..100] : r).ToArray(),
        responses.Select(r => (long)System.Text.Encoding.UTF8.GetByteCount(r)).ToArray());

    private static async Task<GrpcOutcome> RunAsync(string fileName, string[] script, int port, GrpcCall call, string? tlsRoot)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in script)
        {
            start.ArgumentList.Add(arg);
        }

        // The scripts check the TLS certificate for "localhost", a name the test certificate carries.
        start.ArgumentList.Add($"127.0.0.1:{port}");
        start.ArgumentList.Add(call.Path);
        start.ArgumentList.Add(call.IsStreaming ? "stream" : "unary");
        start.ArgumentList.Add(call.Request);
        AddOption(start, "--service", call.Service);
        AddOption(start, "--deadline-ms", call.DeadlineMs?.ToString());
        AddOption(start, "--cancel-after-ms", call.CancelAfterMs?.ToString());
        AddOption(start, "--big", call.BigRequestBytes?.ToString());
        AddOption(start, "--tls-root", tlsRoot);

        // Neither client may go through a proxy the machine has configured.
        start.Environment["no_proxy"] = "*";
        start.Environment["NO_PROXY"] = "*";
        start.Environment["grpc_proxy"] = "";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish: {await stderr}");
        }

        var line = (await stdout).Trim();
        if (process.ExitCode != 0 || line.Length == 0)
        {
            throw new InvalidOperationException($"{fileName} exited with {process.ExitCode}: {line} {await stderr}");
        }

        var json = JsonDocument.Parse(line).RootElement;
        return new GrpcOutcome(json.GetProperty("code").GetInt32(), json.GetProperty("message").GetString() ?? "",
            json.GetProperty("responses").EnumerateArray().Select(r => r.GetString()!).ToArray(),
            json.GetProperty("sizes").EnumerateArray().Select(s => s.GetInt64()).ToArray());
    }

    private static void AddOption(ProcessStartInfo start, string name, string? value)
    {
        if (value is not null)
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }
    }

    /// <summary>test/tools of the repository; its node_modules come from scripts/test.sh (npm ci).</summary>
    private static string FindToolsDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var tools = Path.Combine(dir.FullName, "test", "tools");
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")) && Directory.Exists(tools))
            {
                if (!Directory.Exists(Path.Combine(tools, "node", "node_modules", "@grpc", "grpc-js")))
                {
                    throw new InvalidOperationException("@grpc/grpc-js is not installed: run scripts/test.sh, or npm ci in test/tools/node.");
                }

                return tools;
            }
        }

        throw new InvalidOperationException("test/tools not found above " + AppContext.BaseDirectory);
    }
}
