using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using static Gatehouse.Bench.ConsoleLoad.ConsoleBrowser;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>What the console sessions do during a phase of <see cref="ApiLoad"/>.</summary>
internal enum Sessions
{
    /// <summary>No console session open (no circuit on the server).</summary>
    None,

    /// <summary>Each session sits on the Overview page, which refreshes itself every 5 s (two API calls per refresh).</summary>
    Idle,

    /// <summary>Each session keeps working: list, Next page, search, a service page, Overview, one step per think time.</summary>
    Active,
}

/// <summary>One measured phase: REST latencies, errors, and the CPU the admin and the whole box used meanwhile.</summary>
internal sealed record PhaseResult(int Round, Sessions Sessions, Stats All, Stats Lists, Stats Gets, int Errors, double Seconds,
    double AdminCores, double BrowserCores, double HarnessCores, double BoxBusy, int SessionSteps, GcFigures Gc, double HarnessPausedMs);

/// <summary>
/// Part (b): REST API latency at a fixed offered rate (open loop) with no console session, then with N sessions open
/// (idle, then active), interleaved in rounds so that drift of the shared box falls on every kind of phase alike.
/// </summary>
/// <remarks>
/// Open loop on purpose: a closed loop at a fixed concurrency saturates the 2 cores, and then any extra work on the box
/// (including Chromium's own rendering) shows up one-for-one in latency; at a fixed rate below saturation the p99 shows
/// whether console circuits get in the way of API requests (thread pool, GC, SQLite, timers).
/// </remarks>
internal sealed class ApiLoad(AdminProcess admin, GcWatch gc, ConsoleBrowser browser, IReadOnlyList<string> sessionStates, string token, string group,
    int services, double rate, TimeSpan phase, TimeSpan think)
{
    public List<PhaseResult> Results { get; } = [];

    public async Task RunAsync(int rounds, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(admin.Url),
            Timeout = TimeSpan.FromSeconds(10),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        // Warm-up at the same rate: JIT tiering, connection pool, SQLite page cache.
        await LoadAsync(http, TimeSpan.FromSeconds(10), ct);

        Sessions[] order = [Sessions.None, Sessions.Idle, Sessions.Active];
        for (var round = 1; round <= rounds; round++)
        {
            // The order rotates per round (none-idle-active, idle-active-none, active-none-idle), so no kind of phase is
            // always the first after the warm-up or always follows the busiest one.
            foreach (var mode in order.Skip((round - 1) % 3).Concat(order.Take((round - 1) % 3)))
            {
                var result = await PhaseAsync(http, round, mode, ct);
                Results.Add(result);
                Program.ReportPhase(result);
            }
        }
    }

    private async Task<PhaseResult> PhaseAsync(HttpClient http, int round, Sessions mode, CancellationToken ct)
    {
        var pages = new List<IPage>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loops = new List<Task<int>>();
        try
        {
            if (mode != Sessions.None)
            {
                foreach (var state in sessionStates)
                {
                    var page = await browser.ResumeAsync(state);
                    await page.GotoAsync("/");
                    await WaitAsync(page, $"document.querySelector('[data-testid=\"group-{group}\"]')");
                    pages.Add(page);
                }

                Priority.ResetDescendants(admin.Pid);
                if (mode == Sessions.Active)
                {
                    loops.AddRange(pages.Select((p, i) => WorkAsync(p, i, stop.Token)));
                }

                // Let the circuits settle (first renders, the first timer tick of every Overview).
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }

            var adminBefore = admin.CpuTime();
            var browserBefore = ProcStat.DescendantsCpu(admin.Pid);
            var harnessBefore = ProcStat.ProcessCpu(Environment.ProcessId);
            var boxBefore = ProcStat.Box();
            var from = DateTime.Now;
            var harnessPaused = GC.GetTotalPauseDuration();
            var (all, lists, gets, errors, seconds) = await LoadAsync(http, phase, ct);
            var to = DateTime.Now;
            harnessPaused = GC.GetTotalPauseDuration() - harnessPaused;
            var adminCpu = (admin.CpuTime() - adminBefore).TotalSeconds;
            var browserCpu = (ProcStat.DescendantsCpu(admin.Pid) - browserBefore).TotalSeconds;
            var harnessCpu = (ProcStat.ProcessCpu(Environment.ProcessId) - harnessBefore).TotalSeconds;
            var boxAfter = ProcStat.Box();
            stop.Cancel();
            var steps = 0;
            foreach (var loop in loops)
            {
                steps += await loop;
            }

            // EventPipe delivers in buffered batches: give the last events of the window time to arrive.
            await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
            return new PhaseResult(round, mode, all, lists, gets, errors, seconds, adminCpu / seconds, browserCpu / seconds, harnessCpu / seconds,
                (double)(boxAfter.Busy - boxBefore.Busy) / Math.Max(1, boxAfter.Total - boxBefore.Total), steps, gc.Between(from, to),
                harnessPaused.TotalMilliseconds);
        }
        finally
        {
            stop.Cancel();
            foreach (var page in pages)
            {
                await CloseAsync(page);
            }

            // Circuits are gone once the pages unloaded; a short pause keeps the teardown out of the next phase.
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>An operator clicking through the console: one step, then <c>think</c> time, until stopped. Returns the steps done.</summary>
    private async Task<int> WorkAsync(IPage page, int index, CancellationToken ct)
    {
        var g = Uri.EscapeDataString(group);
        var row = (int i) => $"document.querySelector('[data-testid=\"service-row-{Seeder.ServiceName(i)}\"]')";
        var steps = 0;
        var n = index * 37;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                n++;
                var service = n * 7 % services;
                var term = 10 + n % 90;
                string[] actions =
                [
                    $"Blazor.navigateTo('/services?group={g}')",
                    "[...document.querySelectorAll('nav.pager button')].find(b => b.textContent.trim() === 'Next').click()",
                    $"(() => {{ const i = document.querySelector('[data-testid=\"service-search\"]'); i.value = 'svc-0{term:D2}'; i.dispatchEvent(new Event('input', {{ bubbles: true }})); }})()",
                    $"Blazor.navigateTo('/services/{Seeder.ServiceName(service)}?group={g}')",
                    "Blazor.navigateTo('/')",
                ];
                string[] ready =
                [
                    row(0),
                    row(50),
                    $"{row(term * 10)} && document.querySelectorAll('main tbody tr').length === 10",
                    $"document.querySelector('[data-testid=\"node-{Seeder.ServiceName(service)}-b\"]')",
                    $"document.querySelector('[data-testid=\"group-{group}\"]')",
                ];
                for (var s = 0; s < actions.Length && !ct.IsCancellationRequested; s++)
                {
                    await page.EvaluateAsync(actions[s]);
                    await WaitAsync(page, ready[s]);
                    steps++;
                    await Task.Delay(think, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Phase over.
        }
        catch (PlaywrightException) when (ct.IsCancellationRequested)
        {
            // The page closed under a step at the end of the phase.
        }

        return steps;
    }

    /// <summary>
    /// <c>rate</c> requests a second for <paramref name="duration"/>, each started on its schedule whatever the others do:
    /// alternately a page of 50 services (the list endpoint, a different page each time) and one service.
    /// </summary>
    private async Task<(Stats All, Stats Lists, Stats Gets, int Errors, double Seconds)> LoadAsync(HttpClient http, TimeSpan duration,
        CancellationToken ct)
    {
        var g = Uri.EscapeDataString(group);
        var lists = new ConcurrentBag<double>();
        var gets = new ConcurrentBag<double>();
        var errors = 0;
        var count = (int)(duration.TotalSeconds * rate);
        var tasks = new List<Task>(count);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, ct);
            }

            var list = i % 2 == 0;
            var path = list
                ? $"/api/v1/groups/{g}/services?offset={i / 2 % Math.Max(1, services / 50) * 50}&limit=50"
                : $"/api/v1/groups/{g}/services/{Seeder.ServiceName(i * 7 % services)}";
            tasks.Add(OneAsync(path, list ? lists : gets));
        }

        await Task.WhenAll(tasks);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (new Stats(lists.Concat(gets)), new Stats(lists), new Stats(gets), errors, seconds);

        async Task OneAsync(string path, ConcurrentBag<double> into)
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.GetAsync(path, ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                    return;
                }

                into.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }
}
