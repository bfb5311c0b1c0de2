using System.Text;
using Gatehouse.Gateway.Observability.AccessLog;

namespace Gatehouse.Gateway.Tests.Observability.AccessLog;

public sealed class RollingFileSinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-accesslog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string BasePath => Path.Combine(_dir, "access.log");

    private static byte[] Line(int length, char fill = 'x') => Encoding.ASCII.GetBytes(new string(fill, length - 1) + "\n");

    private string[] Files() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static string[] Sorted(params string[] names) => names.Order(StringComparer.Ordinal).ToArray();

    private string[] Lines(string name) => File.ReadAllLines(Path.Combine(_dir, name));

    [Fact]
    public void Write_NextLinePastMaxBytes_RollsToNumberedFile_LinesWhole()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        using (var sink = new RollingFileSink(BasePath, maxFileBytes: 100, rollDaily: true, retainFiles: 0, retainDays: 0, clock))
        {
            for (var i = 0; i < 7; i++)
            {
                sink.Write(Line(30, (char)('a' + i)));
            }
        }

        Assert.Equal(["access-20260301.log", "access-20260301_001.log", "access-20260301_002.log"], Files());
        Assert.Equal(["a", "b", "c"], Lines("access-20260301.log").Select(l => l[..1]));
        Assert.Equal(["d", "e", "f"], Lines("access-20260301_001.log").Select(l => l[..1]));
        Assert.Equal(["g"], Lines("access-20260301_002.log").Select(l => l[..1]));
        Assert.All(Directory.GetFiles(_dir), f => Assert.True(new FileInfo(f).Length <= 100));
    }

    [Fact]
    public void Write_PastMidnightUtc_RollsToTheNewDate()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.Zero));
        using (var sink = new RollingFileSink(BasePath, maxFileBytes: 0, rollDaily: true, retainFiles: 0, retainDays: 0, clock))
        {
            sink.Write(Line(10, 'a'));
            sink.Write(Line(10, 'b'));
            clock.Advance(TimeSpan.FromSeconds(2));
            sink.Write(Line(10, 'c'));
            Assert.EndsWith("access-20260302.log", sink.CurrentPath);
        }

        Assert.Equal(["access-20260301.log", "access-20260302.log"], Files());
        Assert.Equal(2, Lines("access-20260301.log").Length);
        Assert.Equal(["ccccccccc"], Lines("access-20260302.log"));
    }

    [Fact]
    public void Write_NoDailyRoll_SameFileAcrossDays()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 23, 0, 0, TimeSpan.Zero));
        using (var sink = new RollingFileSink(BasePath, maxFileBytes: 0, rollDaily: false, retainFiles: 0, retainDays: 0, clock))
        {
            sink.Write(Line(10));
            clock.Advance(TimeSpan.FromDays(3));
            sink.Write(Line(10));
        }

        Assert.Equal(["access.log"], Files());
        Assert.Equal(2, Lines("access.log").Length);
    }

    [Fact]
    public void Restart_AppendsToTodaysLastFile()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        File.WriteAllText(Path.Combine(_dir, "access-20260301.log"), new string('o', 99) + "\n");
        File.WriteAllText(Path.Combine(_dir, "access-20260301_002.log"), "earlier\n");
        using (var sink = new RollingFileSink(BasePath, maxFileBytes: 1000, rollDaily: true, retainFiles: 0, retainDays: 0, clock))
        {
            sink.Write(Encoding.ASCII.GetBytes("later\n"));
        }

        Assert.Equal(["earlier", "later"], Lines("access-20260301_002.log"));
    }

    [Fact]
    public void Roll_PastRetainFiles_DeletesOldestFirst()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        using (var sink = new RollingFileSink(BasePath, maxFileBytes: 4096, rollDaily: true, retainFiles: 3, retainDays: 0, clock))
        {
            // Each 3000-byte line fills a file, so every write rolls; a day change rolls too.
            for (var i = 0; i < 6; i++)
            {
                sink.Write(Line(3000));
            }

            clock.Advance(TimeSpan.FromDays(1));
            sink.Write(Line(3000));
        }

        Assert.Equal(["access-20260301_004.log", "access-20260301_005.log", "access-20260302.log"], Files());
    }

    [Fact]
    public void Sweep_FilesOlderThanRetainDays_Deleted_OthersKept()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow.Date.AddHours(1));
        var now = clock.GetUtcNow().UtcDateTime;
        void Old(string name, TimeSpan age)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllText(path, "x\n");
            File.SetLastWriteTimeUtc(path, now - age);
        }

        Old("access-20200101.log", TimeSpan.FromDays(10));
        Old("access-20200105_001.log", TimeSpan.FromDays(3));
        Old("access-notes.log", TimeSpan.FromDays(100)); // not a name the sink makes
        Old("other.log", TimeSpan.FromDays(100));
        var today = "access-" + now.ToString("yyyyMMdd") + ".log";

        using var sink = new RollingFileSink(BasePath, maxFileBytes: 0, rollDaily: true, retainFiles: 0, retainDays: 7, clock);
        sink.Write(Line(10));
        Assert.Equal(Sorted("access-20200105_001.log", "access-notes.log", today, "other.log"), Files());

        // The hourly sweep while writing, without any roll: the 3-day-old file has now aged past the limit.
        File.SetLastWriteTimeUtc(Path.Combine(_dir, "access-20200105_001.log"), now - TimeSpan.FromDays(8));
        clock.Advance(TimeSpan.FromMinutes(30));
        sink.Write(Line(10));
        Assert.Contains("access-20200105_001.log", Files());
        clock.Advance(TimeSpan.FromMinutes(31));
        sink.Write(Line(10));
        Assert.Equal(Sorted("access-notes.log", today, "other.log"), Files());
    }

    [Theory]
    [InlineData("access-20260301.log", true)]
    [InlineData("access-20260301_012.log", true)]
    [InlineData("access-2026030.log", false)]
    [InlineData("access-20261301.log", false)]
    [InlineData("access-20260301_.log", false)]
    [InlineData("access-20260301-x.log", false)]
    [InlineData("access.log", false)]
    [InlineData("access-20260301.txt", false)]
    public void TryParse_OnlyOwnNames(string name, bool expected)
    {
        var sink = new RollingFileSink(BasePath, 0, rollDaily: true, 0, 0, TimeProvider.System);
        Assert.Equal(expected, sink.TryParse(name, out _, out _));
    }
}
