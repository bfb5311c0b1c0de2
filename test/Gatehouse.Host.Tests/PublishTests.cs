using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Gatehouse.Host.Tests;

/// <summary>
/// The self-contained build an operator deploys (docs/operations.md): <c>dotnet publish src/Gatehouse.Host -c Release
/// -r linux-x64 --self-contained</c>, then the published <c>gatehouse</c> binary run without the SDK's <c>dotnet</c>.
/// </summary>
public sealed class PublishTests(PublishTests.PublishedHost published, ITestOutputHelper output) : IClassFixture<PublishTests.PublishedHost>
{
    [Fact]
    public async Task SelfContainedPublish_Version_PrintsTheVersionAndExitsZero()
    {
        output.WriteLine($"dotnet publish took {published.Took.TotalSeconds:0.0} s");
        Assert.True(published.ExitCode == 0, $"dotnet publish failed ({published.ExitCode}):\n{published.Log}");
        var binary = Path.Combine(published.Directory, "gatehouse");
        Assert.True(File.Exists(binary), $"no 'gatehouse' executable in the published folder:\n{published.Log}");

        // No DOTNET_ROOT and an empty PATH: a self-contained binary needs no installed runtime.
        var info = new ProcessStartInfo(binary, "--version")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = published.Directory,
        };
        info.Environment.Remove("DOTNET_ROOT");
        info.Environment["PATH"] = "";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var text = await stdout;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {text}{await stderr}");
        Assert.Matches(@"^gatehouse \d+\.\d+\.\d+\S*( \(commit [0-9a-f]+\))?\r?\n$", text);
        Assert.True(File.Exists(Path.Combine(published.Directory, "libcoreclr.so")), "the runtime is not in the published folder: not self-contained");
    }

    /// <summary>Publishes once per test run (it compiles every project for linux-x64) into a temporary folder.</summary>
    public sealed class PublishedHost : IAsyncLifetime
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("gatehouse-publish-").FullName;

        public int ExitCode { get; private set; } = -1;

        public string Log { get; private set; } = "";

        public TimeSpan Took { get; private set; }

        public async Task InitializeAsync()
        {
            var root = RepositoryRoot();
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/{Configuration}/net10.0/
            var info = new ProcessStartInfo("dotnet")
            {
                ArgumentList =
                {
                    "publish", Path.Combine(root, "src", "Gatehouse.Host"), "-c", configuration, "-r", "linux-x64", "--self-contained",
                    "-o", Directory, "-nologo", "-v", "quiet",
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = root,
            };
            var log = new StringBuilder();
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
                ExitCode = process.ExitCode;
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                log.AppendLine("dotnet publish did not finish within 10 minutes");
            }

            Took = watch.Elapsed;
            lock (log)
            {
                Log = log.ToString();
            }
        }

        public Task DisposeAsync()
        {
            System.IO.Directory.Delete(Directory, recursive: true);
            return Task.CompletedTask;
        }

        private static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException($"Gatehouse.slnx not found above {AppContext.BaseDirectory}");
        }
    }
}
