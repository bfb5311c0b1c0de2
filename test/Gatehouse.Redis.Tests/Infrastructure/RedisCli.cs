using System.Diagnostics;
using System.Globalization;

namespace Gatehouse.Redis.Tests.Infrastructure;

/// <summary>Runs Debian's redis-cli against a loopback server, for setting up clusters and Sentinels.</summary>
public static class RedisCli
{
    public const string Executable = "/usr/bin/redis-cli";

    /// <summary>Runs <c>redis-cli -p PORT ARGS</c> and returns its standard output; throws when it fails.</summary>
    public static async Task<string> RunAsync(int port, params string[] args)
    {
        var info = new ProcessStartInfo(Executable, ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"redis-cli {string.Join(' ', args)} did not finish in 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', args)} exited {process.ExitCode}: {await error}{await output}");
        }

        return await output;
    }

    /// <summary>Polls until <paramref name="ready"/> holds for the output of the command, or throws after the deadline.</summary>
    public static async Task WaitForAsync(int port, Func<string, bool> ready, string what, TimeSpan within, params string[] args)
    {
        var deadline = DateTime.UtcNow + within;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await RunAsync(port, args);
                if (ready(last))
                {
                    return;
                }
            }
            catch (InvalidOperationException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{what} not reached within {within}; last answer: {last}");
    }
}
