using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Monitoring;

/// <summary>The JSON body POSTed to a rule's webhook.</summary>
/// <param name="State"><c>firing</c> or <c>resolved</c>.</param>
internal sealed record AlertNotification(long AlertId, string RuleId, string Rule, string Kind, string Group, string State, double Value,
    double Threshold, string Detail, DateTimeOffset Time);

/// <summary>
/// Delivers notifications by HTTP POST with bounded retries: <see cref="AlertOptions.WebhookAttempts"/> attempts,
/// waiting <see cref="AlertOptions.WebhookBackoff"/> and doubling in between. Any 2xx is delivered; anything else,
/// a timeout or a refused connection is retried, and the last failure is logged (the alert history keeps the state).
/// </summary>
internal sealed partial class WebhookNotifier : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly AlertOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookNotifier> _logger;

    public WebhookNotifier(IOptions<AlertOptions> options, TimeProvider time, ILogger<WebhookNotifier> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>True when some attempt got a 2xx.</summary>
    public async Task<bool> SendAsync(string url, AlertNotification notification, CancellationToken cancellationToken)
    {
        var delay = _options.WebhookBackoff;
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.WebhookTimeout);
                try
                {
                    using var response = await _http.PostAsJsonAsync(url, notification, Json, timeout.Token);
                    if (response.IsSuccessStatusCode)
                    {
                        Log.Delivered(_logger, notification.State, notification.Rule, notification.Group, url);
                        return true;
                    }

                    failure = $"status {(int)response.StatusCode}";
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    failure = ex is OperationCanceledException ? $"no answer within {_options.WebhookTimeout.TotalSeconds:0.#} s" : ex.Message;
                }
            }

            if (attempt >= _options.WebhookAttempts)
            {
                Log.GaveUp(_logger, notification.State, notification.Rule, notification.Group, url, attempt, failure);
                return false;
            }

            Log.Retrying(_logger, url, attempt, failure);
            await Task.Delay(delay, _time, cancellationToken);
            delay *= 2;
        }
    }

    public void Dispose() => _http.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Alert {State} for rule '{Rule}' of group '{Group}' delivered to {Url}")]
        public static partial void Delivered(ILogger logger, string state, string rule, string group, string url);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Webhook {Url} failed on attempt {Attempt} ({Reason}); retrying")]
        public static partial void Retrying(ILogger logger, string url, int attempt, string reason);

        [LoggerMessage(EventId = 4103, Level = LogLevel.Error,
            Message = "Alert {State} for rule '{Rule}' of group '{Group}' not delivered to {Url} after {Attempts} attempts: {Reason}")]
        public static partial void GaveUp(ILogger logger, string state, string rule, string group, string url, int attempts, string reason);
    }
}
