namespace Gatehouse.Testing;

/// <summary>The npm packages the Dubbo tests run: test/tools/dubbo (dubbo.ts, hessian.js).</summary>
internal static class NodeTools
{
    public static NpmToolFolder Folder { get; } = new("dubbo", "dubbo.ts", "hessian.js");

    public static string Directory => Folder.Directory;

    public static Task EnsureInstalledAsync() => Folder.EnsureInstalledAsync();

    /// <summary>Runs a command in the tools directory and collects its output.</summary>
    public static Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout) =>
        Folder.RunAsync(file, arguments, timeout);
}

/// <summary>A dubbo.ts provider (test/tools/dubbo/provider.js) in a node process of its own, on a free loopback port.</summary>
internal sealed class DubboProviderProcess : IAsyncDisposable
{
    private readonly NodeServerProcess _process;

    private DubboProviderProcess(NodeServerProcess process, string name)
    {
        _process = process;
        Name = name;
    }

    public int Port => _process.Port;

    public string Name { get; }

    public string Address => $"dubbo://127.0.0.1:{Port}";

    /// <summary>Starts a provider; <paramref name="options"/> go to provider.js (e.g. <c>--registry</c>, <c>--weight</c>).</summary>
    public static async Task<DubboProviderProcess> StartAsync(string name, params string[] options) =>
        new(await NodeServerProcess.StartAsync(NodeTools.Folder, "provider.js", name, "the dubbo.ts provider", options), name);

    /// <summary>Kills the provider process (SIGKILL): its connections break with calls in flight.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Sends SIGTERM: a registered provider deletes its znodes, keeps serving for its drain time, then exits.</summary>
    public void Terminate() => _process.Terminate();

    /// <summary>Waits for the process to exit by itself.</summary>
    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
