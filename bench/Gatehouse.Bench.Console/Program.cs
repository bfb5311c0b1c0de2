using System.Globalization;
using System.Runtime.InteropServices;
using Gatehouse.Bench.ConsoleLoad;

// The console under load: one admin process of the built host on 127.0.0.1 with a group of 1,000 services and 10,000
// APIs, Debian's Chromium through Playwright. Part (a) times each console page with that data; part (b) compares the
// REST API's latency without and with console sessions open. Every process is stopped on exit; the run dir belongs
// to the caller (bench/console.sh removes it).
// Usage: Gatehouse.Bench.Console <gatehouse.dll> <run-dir> [options]; see bench/README.md, "Console".
namespace Gatehouse.Bench.ConsoleLoad
{
    internal static class Program
    {
        private const string Token = "bench-console-token";
        private const string Password = "bench-console-password";
        private const double TargetMs = 300;
        private const double GrowthLimit = 1.25;

        public static async Task<int> Main(string[] args)
        {
            if (args.Length < 2 || !File.Exists(args[0]) || !Directory.Exists(args[1]))
            {
                Console.Error.WriteLine("usage: Gatehouse.Bench.Console <gatehouse.dll> <run-dir> [--services N] [--apis N] [--samples N] " +
                                        "[--warmup N] [--sessions N] [--rounds N] [--seconds S] [--rate R] [--think-ms MS] [--skip-pages] [--skip-load]");
                return 2;
            }

            var o = Options.Parse(args[2..]);
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(o.LimitMinutes));
            // SIGTERM/SIGINT (the script's timeout, Ctrl-C) end the run through the finally blocks, which stop the processes.
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });

            using var admin = AdminProcess.Start(Path.GetFullPath(args[0]), args[1], Token, Password);
            try
            {
                return await RunAsync(admin, o, cts.Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"FAILED: {e.GetType().Name}: {e.Message}");
                Console.Error.WriteLine("--- admin log (tail) ---");
                Console.Error.WriteLine(admin.Tail());
                return 2;
            }
        }

        private static async Task<int> RunAsync(AdminProcess admin, Options o, CancellationToken ct)
        {
            using var http = new HttpClient { BaseAddress = new Uri(admin.Url), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            await UntilAsync(async () =>
            {
                try
                {
                    using var response = await http.GetAsync("/healthz", ct);
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return admin.HasExited ? throw new InvalidOperationException("the admin exited") : false;
                }
            }, ct);

            var seeding = System.Diagnostics.Stopwatch.StartNew();
            await Seeder.SeedAsync(http, o.Group, o.Services, o.Apis, ct);
            Console.WriteLine($"admin {admin.Url} (pid {admin.Pid}, nice {Priority.Own()}; browsers at nice 0); group '{o.Group}': {o.Services} services, {o.Services * o.Apis} APIs, " +
                              $"{o.Services * 2} nodes, imported in {seeding.Elapsed.TotalSeconds:0.0} s");

            await using var browser = await ConsoleBrowser.LaunchAsync(admin.Url, admin.Pid);
            var verdicts = new List<bool>();
            if (!o.SkipPages)
            {
                Console.WriteLine();
                Console.WriteLine($"(a) console pages, {o.Samples} samples each after {o.Warmup} warm-up (ms: p50 / p95 / max)");
                var page = await browser.LoginAsync("admin", Password);
                var timings = new PageTimings(page, o.Group, o.Services, o.Apis, o.Samples, o.Warmup, admin.Url);
                await timings.RunAsync(ct);
                await ConsoleBrowser.CloseAsync(page);
                var worst = timings.InApp.Max(t => t.Stats.P(95));
                var met = worst < TargetMs;
                verdicts.Add(met);
                Console.WriteLine($"target: every page in under {TargetMs} ms of server time (in-app p95 as the upper bound): " +
                                  $"worst p95 {Stats.Ms(worst)} ms -> {(met ? "met" : "NOT met")}");
            }

            if (!o.SkipLoad)
            {
                Console.WriteLine();
                Console.WriteLine($"(b) REST API at {o.Rate:0} req/s for {o.Seconds} s per phase (open loop, bearer token), {o.Rounds} rounds of " +
                                  $"no session / {o.Sessions} idle sessions / {o.Sessions} active sessions (one step per {o.ThinkMs} ms)");
                var states = new List<string>();
                for (var i = 0; i < o.Sessions; i++)
                {
                    var page = await browser.LoginAsync("admin", Password);
                    states.Add(await page.Context.StorageStateAsync());
                    await ConsoleBrowser.CloseAsync(page);
                }

                using var gc = new GcWatch(admin.Pid);
                var load = new ApiLoad(admin, gc, browser, states, Token, o.Group, o.Services, o.Rate, TimeSpan.FromSeconds(o.Seconds),
                    TimeSpan.FromMilliseconds(o.ThinkMs));
                await load.RunAsync(o.Rounds, ct);
                verdicts.Add(Summarize(load.Results));
            }

            return verdicts.All(v => v) ? 0 : 1;
        }

        /// <summary>Per round, the p99 with sessions over the p99 without; the verdict on the median of those ratios.</summary>
        private static bool Summarize(List<PhaseResult> results)
        {
            var met = true;
            Console.WriteLine("p99 with sessions / p99 without, per round:");
            foreach (var mode in new[] { Sessions.Idle, Sessions.Active })
            {
                var ratios = results.Where(r => r.Sessions == mode)
                    .Select(r => r.All.P(99) / results.Single(n => n.Round == r.Round && n.Sessions == Sessions.None).All.P(99))
                    .ToList();
                var median = Stats.Median(ratios);
                var ok = median <= GrowthLimit && results.All(r => r.Errors == 0);
                met &= ok;
                Console.WriteLine($"  {mode.ToString().ToLowerInvariant(),-6} {string.Join("  ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}" +
                                  $"  median {median.ToString("0.00", CultureInfo.InvariantCulture)} -> {(ok ? "met" : "NOT met")} (limit {GrowthLimit:0.00}, no errors)");
            }

            var baseline = results.Where(r => r.Sessions == Sessions.None).Select(r => r.All.P(99)).ToList();
            Console.WriteLine($"  spread of p99 without sessions across rounds: {Stats.Ms(baseline.Min())}–{Stats.Ms(baseline.Max())} ms");
            return met;
        }

        public static void Report(string name, Stats stats) =>
            Console.WriteLine($"  {name,-52} n={stats.Count,-3} {Stats.Ms(stats.P(50)),7} / {Stats.Ms(stats.P(95)),7} / {Stats.Ms(stats.Max),7}");

        public static void ReportPhase(PhaseResult r) =>
            // The invariant culture is the process's (InvariantGlobalization), so plain interpolation formats with '.'.
            Console.WriteLine(
                $"  round {r.Round} {r.Sessions.ToString().ToLowerInvariant(),-6} n={r.All.Count} err={r.Errors} p50={r.All.P(50):0.0} p99={r.All.P(99):0.0} max={r.All.Max:0.0} ms" +
                $" | list p99={r.Lists.P(99):0.0} get p99={r.Gets.P(99):0.0} | cores used: admin {r.AdminCores:0.00}, browser {r.BrowserCores:0.00}, harness {r.HarnessCores:0.00}; box {r.BoxBusy * 100:0} % busy" +
                (r.Sessions == Sessions.Active ? $", {r.SessionSteps} console steps" : "") +
                $"\n           admin GCs gen0/1/2 {r.Gc.Gen0}/{r.Gc.Gen1}/{r.Gc.Gen2}, paused {r.Gc.PausedMs:0} ms in all, longest {r.Gc.MaxPauseMs:0.0} ms; harness GC paused {r.HarnessPausedMs:0} ms");

        private static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken ct)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("the admin did not answer /healthz within 60 s");
                }

                await Task.Delay(100, ct);
            }
        }
    }

    internal sealed record Options
    {
        public string Group { get; init; } = "bench";
        public int Services { get; init; } = 1000;
        public int Apis { get; init; } = 10;
        public int Samples { get; init; } = 20;
        public int Warmup { get; init; } = 3;
        public int Sessions { get; init; } = 5;
        public int Rounds { get; init; } = 3;
        public int Seconds { get; init; } = 15;
        public double Rate { get; init; } = 100;
        public int ThinkMs { get; init; } = 1000;
        public bool SkipPages { get; init; }
        public bool SkipLoad { get; init; }
        public int LimitMinutes { get; init; } = 10;

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
                o = args[i] switch
                {
                    "--services" => o with { Services = Next() },
                    "--apis" => o with { Apis = Next() },
                    "--samples" => o with { Samples = Next() },
                    "--warmup" => o with { Warmup = Next() },
                    "--sessions" => o with { Sessions = Next() },
                    "--rounds" => o with { Rounds = Next() },
                    "--seconds" => o with { Seconds = Next() },
                    "--rate" => o with { Rate = Next() },
                    "--think-ms" => o with { ThinkMs = Next() },
                    "--limit-minutes" => o with { LimitMinutes = Next() },
                    "--skip-pages" => o with { SkipPages = true },
                    "--skip-load" => o with { SkipLoad = true },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }

            return o;
        }
    }
}
