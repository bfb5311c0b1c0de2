using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn.Aggregate;

/// <summary>
/// <c>aggregate</c>: answers the request with one JSON object merging the results of several GETs made in parallel
/// through the gateway itself (its own listener, so each call is routed, authorised, limited, balanced and observed
/// like any request), each under its key, with a timeout per call and a partial-failure policy. The BFF pattern: one
/// round trip for a page that needs several services.
/// </summary>
internal sealed class AggregatePlugin(AggregateSettings settings, HttpClient client) : IGatewayPlugin
{
    /// <summary>A call's response body beyond this is a failure, not something to hold in memory.</summary>
    internal const int MaxCallBytes = 4 * 1024 * 1024;

    private const string HopsHeader = "X-Gatehouse-Hops";
    private const string RequestIdHeader = "X-Request-Id";

    public PluginPhases Phases => PluginPhases.Request;

    /// <summary>After authentication and rate limits: only a caller the gateway admits makes it fan out.</summary>
    public PluginStage Stage => PluginStage.AfterAccessControl;

    public async ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
    {
        var http = context.Http;
        var origin = Origin(http);
        var calls = settings.Calls;
        var pending = new Task<CallResult>[calls.Length];
        for (var i = 0; i < calls.Length; i++)
        {
            pending[i] = CallAsync(calls[i], context, origin);
        }

        var results = await Task.WhenAll(pending).ConfigureAwait(false);
        var failed = 0;
        foreach (var result in results)
        {
            failed += result.Error is null ? 0 : 1;
        }

        if (failed > 0 && (settings.FailOnError || failed == results.Length))
        {
            return Problem(http, calls, results);
        }

        var body = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            for (var i = 0; i < calls.Length; i++)
            {
                json.WritePropertyName(calls[i].Name);
                var result = results[i];
                if (result.Error is not null)
                {
                    json.WriteNullValue();
                }
                else if (result.IsJson)
                {
                    json.WriteRawValue(result.Body, skipInputValidation: true);
                }
                else
                {
                    json.WriteStringValue(System.Text.Encoding.UTF8.GetString(result.Body));
                }
            }

            if (failed > 0)
            {
                json.WriteStartObject(settings.ErrorsKey);
                for (var i = 0; i < calls.Length; i++)
                {
                    if (results[i].Error is { } error)
                    {
                        json.WriteString(calls[i].Name, error);
                    }
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return new PluginResponse(StatusCodes.Status200OK, [new(HeaderNames.ContentType, "application/json; charset=utf-8")], body.WrittenMemory);
    }

    public void OnResponse(PluginContext context)
    {
    }

    private async Task<CallResult> CallAsync(AggregateCall call, PluginContext context, string origin)
    {
        var http = context.Http;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(call.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, origin + call.Path.ExpandUri(context));
        var incoming = http.Request.Headers;

        // The client's Host, so a service resolved by domain resolves the same way for the call.
        request.Headers.Host = http.Request.Host.Value;
        foreach (var name in settings.ForwardHeaders)
        {
            if (incoming.TryGetValue(name, out var values))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        foreach (var (name, template) in call.Headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, template.Expand(context));
        }

        // One request id across the fan-out; the hop count makes an aggregate that calls itself end at the limit.
        if (incoming.TryGetValue(RequestIdHeader, out var requestId))
        {
            request.Headers.TryAddWithoutValidation(RequestIdHeader, requestId.ToString());
        }

        var hops = int.TryParse(incoming[HopsHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
        request.Headers.TryAddWithoutValidation(HopsHeader, (hops + 1).ToString(CultureInfo.InvariantCulture));

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return CallResult.Failed($"status {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength is > MaxCallBytes)
            {
                return CallResult.Failed($"response larger than {MaxCallBytes} bytes");
            }

            var body = await ReadAsync(response.Content, timeout.Token).ConfigureAwait(false);
            return body is null ? CallResult.Failed($"response larger than {MaxCallBytes} bytes") : CallResult.Ok(body, IsJson(body));
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            return CallResult.Failed($"timed out after {(int)call.Timeout.TotalMilliseconds} ms");
        }
        catch (HttpRequestException ex)
        {
            return CallResult.Failed("unreachable: " + ex.Message);
        }
    }

    private static async Task<byte[]?> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();

        // The read buffer is rented: a new one per call was most of what an aggregation allocated.
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxCallBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static bool IsJson(byte[] body)
    {
        if (body.Length == 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(body);
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The gateway's own listener this request arrived on: calls go back through it.</summary>
    private static string Origin(HttpContext http)
    {
        var local = http.Connection.LocalIpAddress ?? IPAddress.Loopback;
        if (local.Equals(IPAddress.Any))
        {
            local = IPAddress.Loopback;
        }
        else if (local.Equals(IPAddress.IPv6Any))
        {
            local = IPAddress.IPv6Loopback;
        }

        var host = local.IsIPv4MappedToIPv6 ? local.MapToIPv4().ToString()
            : local.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString();
        return $"{http.Request.Scheme}://{host}:{http.Connection.LocalPort}";
    }

    private static PluginResponse Problem(HttpContext http, AggregateCall[] calls, CallResult[] results)
    {
        var detail = new List<string>();
        for (var i = 0; i < calls.Length; i++)
        {
            if (results[i].Error is { } error)
            {
                detail.Add($"{calls[i].Name}: {error}");
            }
        }

        var body = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("type", "urn:gatehouse:problem:aggregate_failed");
            json.WriteString("title", "Bad Gateway");
            json.WriteNumber("status", StatusCodes.Status502BadGateway);
            json.WriteString("code", "aggregate_failed");
            json.WriteString("detail", "Calls of the aggregation failed: " + string.Join("; ", detail));
            json.WriteString("instance", http.Request.Path.Value);
            json.WriteString("requestId", http.Request.Headers[RequestIdHeader].ToString());
            json.WriteEndObject();
        }

        return new PluginResponse(StatusCodes.Status502BadGateway,
            [new(HeaderNames.ContentType, "application/problem+json"), new(HeaderNames.CacheControl, "no-store")], body.WrittenMemory);
    }

    private readonly record struct CallResult(byte[] Body, bool IsJson, string? Error)
    {
        public static CallResult Ok(byte[] body, bool isJson) => new(body, isJson, null);

        public static CallResult Failed(string error) => new([], false, error);
    }
}

/// <summary>
/// Creates <see cref="AggregatePlugin"/>s. One HTTP client for all of them: calls go to the gateway's own listener,
/// whose certificate is the gateway's and is not checked for these loopback calls (the address is the local end of
/// the client's own connection).
/// </summary>
internal sealed class AggregatePluginFactory : IGatewayPluginFactory
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public string Name => "aggregate";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings)
    {
        var reader = new SettingsReader();
        AggregateSettings.Read(settings, reader);
        return reader.Errors;
    }

    public IGatewayPlugin Create(JsonElement settings) => new AggregatePlugin(AggregateSettings.Read(settings, new SettingsReader()), Client);
}
