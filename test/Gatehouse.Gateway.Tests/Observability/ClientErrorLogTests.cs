using System.Collections.Concurrent;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Tests.Observability;

public sealed class ClientErrorLogTests
{
    [Fact]
    public void Report_FloodOfOneKind_FirstLoggedWithoutExceptionAndTheRestCounted()
    {
        var logger = new ListLogger();
        using var log = new ClientErrorLog(logger, new TestTimeProvider());

        for (var i = 0; i < 200; i++)
        {
            log.Report(ClientErrorKind.MalformedBody, null, new BadHttpRequestException("Bad chunk size data."), "connection 1");
        }

        var first = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Equal(4201, first.EventId.Id);
        Assert.Null(first.Exception);
        Assert.Equal("Client error MalformedBody from connection 1: Bad chunk size data. (more of this kind within 10 s are counted, not logged)",
            first.Message);

        log.Flush();
        var summary = logger.Entries[^1];
        Assert.Equal(4202, summary.EventId.Id);
        Assert.Equal("199 more MalformedBody client errors like this in the last 10 s", summary.Message);

        // Nothing new since: a second flush writes nothing.
        log.Flush();
        Assert.Equal(2, logger.Entries.Count);
    }

    [Fact]
    public void Report_AfterTheInterval_LogsTheNextOneAgain()
    {
        var logger = new ListLogger();
        var time = new TestTimeProvider();
        using var log = new ClientErrorLog(logger, time, TimeSpan.FromSeconds(10));

        log.Report(ClientErrorKind.Aborted, null, null);
        log.Report(ClientErrorKind.Aborted, null, null);
        time.Advance(TimeSpan.FromSeconds(9.9));
        log.Report(ClientErrorKind.Aborted, null, null);
        Assert.Single(logger.Entries);

        time.Advance(TimeSpan.FromSeconds(0.2));
        log.Report(ClientErrorKind.Aborted, null, null);

        Assert.Equal([4201, 4201], logger.Entries.Select(e => e.EventId.Id));
        log.Flush();
        Assert.Equal("2 more Aborted client errors like this in the last 10 s", logger.Entries[^1].Message);
    }

    [Fact]
    public void Report_DifferentKinds_EachHasItsOwnFirstLine()
    {
        var logger = new ListLogger();
        using var log = new ClientErrorLog(logger, new TestTimeProvider());

        log.Report(ClientErrorKind.BadRequest, null, null);
        log.Report(ClientErrorKind.StalledUpload, null, null);
        log.Report(ClientErrorKind.BadRequest, null, null);

        Assert.Equal(2, logger.Entries.Count);
        Assert.Contains("BadRequest", logger.Entries[0].Message, StringComparison.Ordinal);
        Assert.Contains("StalledUpload", logger.Entries[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_ConcurrentFlood_EveryErrorIsLoggedOrCounted()
    {
        var logger = new ListLogger();
        using var log = new ClientErrorLog(logger, new TestTimeProvider());

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                log.Report(ClientErrorKind.Aborted, null, null);
            }
        })));
        log.Flush();

        Assert.Equal(2, logger.Entries.Count);
        Assert.Equal("39999 more Aborted client errors like this in the last 10 s", logger.Entries[1].Message);
    }

    [Fact]
    public void Report_WarningsOff_LogsAndCountsNothing()
    {
        var logger = new ListLogger(LogLevel.Error);
        using var log = new ClientErrorLog(logger, new TestTimeProvider());

        log.Report(ClientErrorKind.BadRequest, null, null);
        log.Report(ClientErrorKind.BadRequest, null, null);
        log.Flush();

        Assert.Empty(logger.Entries);
    }

    [Fact]
    public void Report_WithContext_NamesTheClientAddress()
    {
        var logger = new ListLogger();
        using var log = new ClientErrorLog(logger, new TestTimeProvider());
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("192.0.2.7");

        log.Report(ClientErrorKind.StalledUpload, context, new IOException("wrapper", new TimeoutException("too slow")));

        Assert.StartsWith("Client error StalledUpload from 192.0.2.7: too slow", Assert.Single(logger.Entries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_SameExceptionAgain_CountedOnce()
    {
        // Kestrel rethrows a failed body's exception when it drains the body and logs it itself: still one error.
        var logger = new ListLogger();
        using var log = new ClientErrorLog(logger, new TestTimeProvider());
        var error = new BadHttpRequestException("Bad chunk size data.");

        log.Report(ClientErrorKind.MalformedBody, null, new IOException("Reading the request body from the client failed.", error));
        log.Report(ClientErrorKind.BadRequest, null, error, "connection 1");
        log.Report(ClientErrorKind.MalformedBody, null, error);
        log.Flush();

        Assert.Single(logger.Entries);
    }

    [Theory]
    [InlineData("ConnectionBadRequest", false, "BadRequest")]
    [InlineData("RequestProcessingError", true, "Aborted")]
    public void Classify_KestrelEvents_ClientErrorKind(string name, bool reset, string expected)
    {
        Exception error = reset ? new IOException("x", new ConnectionResetException("Connection reset by peer")) : new BadHttpRequestException("Invalid request line");

        Assert.Equal(expected, KestrelClientErrors.Classify(new EventId(1, name), error)?.ToString());
    }

    [Fact]
    public void Classify_ProcessingErrorThatIsNoReset_IsLeftToTheForwarder()
    {
        // Kestrel also reports a body error the forwarder has already logged; counting it again would double it.
        Assert.Null(KestrelClientErrors.Classify(new EventId(20, "RequestProcessingError"), new IOException("Bad chunk size data.")));
        Assert.Null(KestrelClientErrors.Classify(new EventId(13, "ApplicationError"), new InvalidOperationException("bug")));
    }

    private sealed record Entry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private sealed class ListLogger(LogLevel minimum = LogLevel.Trace) : ILogger
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Entries => [.. _entries];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _entries.Enqueue(new Entry(logLevel, eventId, formatter(state, exception), exception));
    }
}
