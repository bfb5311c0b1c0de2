namespace Gatehouse.Testing;

/// <summary>The npm packages the Tars tests run: test/tools/tars (@tars/rpc 2.0.15, @tars/stream 2.0.3).</summary>
internal static class TarsNodeTools
{
    public static NpmToolFolder Folder { get; } = new("tars", "@tars/rpc", "@tars/stream");

    public static string Directory => Folder.Directory;

    public static Task EnsureInstalledAsync() => Folder.EnsureInstalledAsync();

    /// <summary>Runs a command in the tools directory and collects its output.</summary>
    public static Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout) =>
        Folder.RunAsync(file, arguments, timeout);
}

/// <summary>A @tars/rpc server (test/tools/tars/server.js) in a node process of its own, on a free loopback port.</summary>
internal sealed class TarsServerProcess : IAsyncDisposable
{
    /// <summary>The servant the server serves.</summary>
    public const string Servant = "Gatehouse.DemoServer.DemoObj";

    private readonly NodeServerProcess _process;

    private TarsServerProcess(NodeServerProcess process, string name)
    {
        _process = process;
        Name = name;
    }

    public int Port => _process.Port;

    public string Name { get; }

    public string Address => $"tars://127.0.0.1:{Port}";

    /// <summary>The interface file the server implements.</summary>
    public static string InterfaceFile => Path.Combine(TarsNodeTools.Directory, "Demo.tars");

    public static async Task<TarsServerProcess> StartAsync(string name) =>
        new(await NodeServerProcess.StartAsync(TarsNodeTools.Folder, "server.js", name, "the @tars/rpc server"), name);

    /// <summary>Kills the server process (SIGKILL): its connections break with calls in flight.</summary>
    public void Kill() => _process.Kill();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
