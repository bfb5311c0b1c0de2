using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;
using static Gatehouse.Bench.ConsoleLoad.ConsoleBrowser;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>
/// Part (a): how long each console page takes to show its content with the seeded group, three ways —
/// in-app (the click or link inside the running console: the server's work for the page plus one loopback WebSocket
/// round trip and applying the diff), a full load (a new circuit), and the admin API calls the page makes, timed
/// directly on loopback.
/// </summary>
internal sealed class PageTimings(IPage page, string group, int services, int apis, int samples, int warmup, string adminUrl)
{
    private const int PageSize = 50;

    public List<(string Name, Stats Stats)> InApp { get; } = [];

    public List<(string Name, Stats Stats)> FullLoad { get; } = [];

    public List<(string Name, Stats Stats)> Api { get; } = [];

    private string ListPath => $"/services?group={Uri.EscapeDataString(group)}";

    private string ServicePath(int i) => $"/services/{Seeder.ServiceName(i)}?group={Uri.EscapeDataString(group)}";

    private static string Row(int i) => $"document.querySelector('[data-testid=\"service-row-{Seeder.ServiceName(i)}\"]')";

    private string OverviewReady => $"document.querySelector('[data-testid=\"group-{group}\"]')";

    private string ListReady => $"{Row(0)} && {Row(Math.Min(services, PageSize) - 1)}";

    private string ServiceReady(int i) =>
        $"document.querySelector('[data-testid=\"node-{Seeder.ServiceName(i)}-b\"]') && document.querySelector('[data-testid=\"api-api-{Math.Min(apis, PageSize) - 1}\"]')";

    private static string Navigate(string path) => $"Blazor.navigateTo({Js(path)})";

    public async Task RunAsync(CancellationToken ct)
    {
        await Measure("overview (from the services list)", async () =>
        {
            await ToListAsync();
            return await TimeAsync(page, Navigate("/"), OverviewReady);
        }, ct);

        await Measure("services list, first page (from the overview)", async () =>
        {
            await ToOverviewAsync();
            return await TimeAsync(page, Navigate(ListPath), ListReady);
        }, ct);

        var offset = 0;
        await Measure("services list, Next page", async () =>
        {
            if (offset + PageSize >= services)
            {
                await ToOverviewAsync();
                await ToListAsync();
                offset = 0;
            }

            offset += PageSize;
            var last = Math.Min(services, offset + PageSize) - 1;
            return await TimeAsync(page,
                "[...document.querySelectorAll('nav.pager button')].find(b => b.textContent.trim() === 'Next').click()",
                $"{Row(offset)} && {Row(last)}");
        }, ct);

        // Terms 'svc-010', 'svc-011', …: each matches ten services that the list did not show before.
        var term = 10;
        await ToOverviewAsync();
        await ToListAsync();
        await Measure("services list, search (10 matches)", async () =>
        {
            var k = term++ % 100;
            var first = k * 10;
            var action = $"(() => {{ const i = document.querySelector('[data-testid=\"service-search\"]'); i.value = {Js($"svc-0{k:D2}")}; i.dispatchEvent(new Event('input', {{ bubbles: true }})); }})()";
            return await TimeAsync(page, action, $"{Row(first)} && document.querySelectorAll('main tbody tr').length === 10");
        }, ct);

        var service = services / 2;
        await Measure($"service page ({apis} APIs, 2 nodes; from the list)", async () =>
        {
            await ToOverviewAsync();
            await ToListAsync();
            var i = service++ % services;
            return await TimeAsync(page, Navigate(ServicePath(i)), ServiceReady(i));
        }, ct);

        await MeasureLoad("services list, full load (new circuit)", () => LoadAsync(page, ListPath, ListReady), ct);
        service = services / 2;
        await MeasureLoad("service page, full load (new circuit)", () =>
        {
            var i = service++ % services;
            return LoadAsync(page, ServicePath(i), ServiceReady(i));
        }, ct);

        await MeasureApiAsync(ct);
    }

    private async Task ToOverviewAsync()
    {
        await page.EvaluateAsync(Navigate("/"));
        await WaitAsync(page, OverviewReady);
    }

    private async Task ToListAsync()
    {
        await page.EvaluateAsync(Navigate(ListPath));
        await WaitAsync(page, $"{ListReady} && document.querySelector('[data-testid=\"service-search\"]').value === ''");
    }

    private async Task Measure(string name, Func<Task<double>> sample, CancellationToken ct)
    {
        var values = new List<double>();
        for (var i = 0; i < warmup + samples; i++)
        {
            ct.ThrowIfCancellationRequested();
            var ms = await sample();
            if (i >= warmup)
            {
                values.Add(ms);
            }
        }

        InApp.Add((name, new Stats(values)));
        Program.Report(name, InApp[^1].Stats);
    }

    private async Task MeasureLoad(string name, Func<Task<double>> sample, CancellationToken ct)
    {
        // Fewer: each starts a circuit, which the previous page's unload ends.
        var values = new List<double>();
        var count = Math.Max(5, samples / 2);
        for (var i = 0; i < warmup + count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var ms = await sample();
            if (i >= warmup)
            {
                values.Add(ms);
            }
        }

        FullLoad.Add((name, new Stats(values)));
        Program.Report(name, FullLoad[^1].Stats);
    }

    /// <summary>The GETs the pages make, with the browser's session cookie as the console sends them, one at a time.</summary>
    private async Task MeasureApiAsync(CancellationToken ct)
    {
        var cookies = await page.Context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "gatehouse_session").Value;
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false }) { BaseAddress = new Uri(adminUrl) };
        http.DefaultRequestHeaders.Add("Cookie", "gatehouse_session=" + session);
        var g = Uri.EscapeDataString(group);
        var calls = new (string Name, string Path)[]
        {
            ("GET groups (picker, overview)", "/api/v1/groups"),
            ("GET gateways of the group (overview)", $"/api/v1/groups/{g}/gateways"),
            ("GET services, first page", $"/api/v1/groups/{g}/services?offset=0&limit={PageSize}&q="),
            ("GET services, offset 500", $"/api/v1/groups/{g}/services?offset={services / 2}&limit={PageSize}&q="),
            ("GET services, search (10 matches)", $"/api/v1/groups/{g}/services?offset=0&limit={PageSize}&q=svc-012"),
            ("GET one service", $"/api/v1/groups/{g}/services/{Seeder.ServiceName(services / 2)}"),
        };
        foreach (var (name, path) in calls)
        {
            var values = new List<double>();
            for (var i = 0; i < 5 + samples * 2; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path, ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"{path}: {(int)response.StatusCode}");
                }

                if (i >= 5)
                {
                    values.Add(ms);
                }
            }

            Api.Add((name, new Stats(values)));
            Program.Report(name, Api[^1].Stats);
        }
    }
}
