using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Tests.Filters.Auth;

public sealed class BufferedRequestBodyTests
{
    [Theory]
    [InlineData(400, "MalformedBody")]
    [InlineData(408, "StalledUpload")]
    [InlineData(413, "BodyTooLarge")]
    public async Task ReadAsync_BodyFails_LoggedAsOneClientErrorWithoutException(int status, string kind)
    {
        var logger = new LastEntryLogger();
        using var services = new ServiceCollection()
            .AddSingleton(new ClientErrorLog(logger, new TestTimeProvider()))
            .BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.ContentLength = 10;
        context.Request.Body = new FailingStream(new BadHttpRequestException("bad body", status));

        await BufferedRequestBody.ReadAsync(context, 1024);

        Assert.NotNull(logger.Message);
        Assert.StartsWith($"Client error {kind} from", logger.Message, StringComparison.Ordinal);
        Assert.Null(logger.Exception);
    }

    private sealed class FailingStream(Exception error) : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromException<int>(error);
    }

    private sealed class LastEntryLogger : ILogger
    {
        public string? Message { get; private set; }

        public Exception? Exception { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Message = formatter(state, exception);
            Exception = exception;
        }
    }
}
