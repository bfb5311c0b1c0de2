namespace Gatehouse.Gateway.Http;

/// <summary>Errors the gateway answers itself, with their stable <c>code</c> and status (docs/architecture.md, the error codes).</summary>
public enum GatewayError
{
    ServiceNotFound,
    ApiNotFound,
    NoAvailableNode,
    NoConfig,
    UpstreamTimeout,
    UpstreamUnreachable,
    HeadersTooLarge,
    BadRequest,
    PayloadTooLarge,
    RateLimited,
    CircuitOpen,
    Forbidden,
    UriTooLong,
    LoopDetected,
    Unauthorized,
    BadSignature,
    NonceStoreUnavailable,
    LoginCheckUnavailable,
    BadCiphertext,
    UnsupportedMediaType,
    ResponseTooLarge,
    RequestTimeout,
    PluginFailed,

    /// <summary>A non-HTTP upstream answered with an error of its own (a Java exception, a Dubbo error status).</summary>
    UpstreamError,
}

/// <summary>Status, code and title of each <see cref="GatewayError"/>; the codes are a public contract.</summary>
public static class GatewayErrors
{
    public static int Status(GatewayError error) => error switch
    {
        GatewayError.ServiceNotFound => 404,
        GatewayError.ApiNotFound => 404,
        GatewayError.NoAvailableNode => 503,
        GatewayError.NoConfig => 503,
        GatewayError.UpstreamTimeout => 504,
        GatewayError.UpstreamUnreachable => 502,
        GatewayError.HeadersTooLarge => 431,
        GatewayError.BadRequest => 400,
        GatewayError.PayloadTooLarge => 413,
        GatewayError.RateLimited => 429,
        GatewayError.CircuitOpen => 503,
        GatewayError.Forbidden => 403,
        GatewayError.UriTooLong => 414,
        GatewayError.LoopDetected => 508,
        GatewayError.Unauthorized => 401,
        GatewayError.BadSignature => 401,
        GatewayError.NonceStoreUnavailable => 503,
        GatewayError.LoginCheckUnavailable => 503,
        GatewayError.BadCiphertext => 400,
        GatewayError.UnsupportedMediaType => 415,
        GatewayError.ResponseTooLarge => 502,
        GatewayError.RequestTimeout => 408,
        GatewayError.PluginFailed => 500,
        GatewayError.UpstreamError => 502,
        _ => 500,
    };

    public static string Code(GatewayError error) => error switch
    {
        GatewayError.ServiceNotFound => "service_not_found",
        GatewayError.ApiNotFound => "api_not_found",
        GatewayError.NoAvailableNode => "no_available_node",
        GatewayError.NoConfig => "no_config",
        GatewayError.UpstreamTimeout => "upstream_timeout",
        GatewayError.UpstreamUnreachable => "upstream_unreachable",
        GatewayError.HeadersTooLarge => "request_header_fields_too_large",
        GatewayError.BadRequest => "bad_request",
        GatewayError.PayloadTooLarge => "payload_too_large",
        GatewayError.RateLimited => "rate_limited",
        GatewayError.CircuitOpen => "circuit_open",
        GatewayError.Forbidden => "forbidden",
        GatewayError.UriTooLong => "uri_too_long",
        GatewayError.LoopDetected => "loop_detected",
        GatewayError.Unauthorized => "unauthorized",
        GatewayError.BadSignature => "bad_signature",
        GatewayError.NonceStoreUnavailable => "nonce_store_unavailable",
        GatewayError.LoginCheckUnavailable => "login_check_unavailable",
        GatewayError.BadCiphertext => "bad_ciphertext",
        GatewayError.UnsupportedMediaType => "unsupported_media_type",
        GatewayError.ResponseTooLarge => "response_too_large",
        GatewayError.RequestTimeout => "request_timeout",
        GatewayError.PluginFailed => "plugin_failed",
        GatewayError.UpstreamError => "upstream_error",
        _ => "internal_error",
    };

    public static string Title(GatewayError error) => error switch
    {
        GatewayError.ServiceNotFound => "No service matches the request",
        GatewayError.ApiNotFound => "No API of the service matches the request",
        GatewayError.NoAvailableNode => "No node of the service is available",
        GatewayError.NoConfig => "The gateway has no configuration yet",
        GatewayError.UpstreamTimeout => "The upstream node did not answer in time",
        GatewayError.UpstreamUnreachable => "The upstream node could not be reached",
        GatewayError.HeadersTooLarge => "Request headers are too large",
        GatewayError.BadRequest => "The request is malformed",
        GatewayError.PayloadTooLarge => "The request body is too large",
        GatewayError.RateLimited => "Too many requests",
        GatewayError.CircuitOpen => "The circuit breaker of the API is open",
        GatewayError.Forbidden => "The client is not allowed to call this API",
        GatewayError.UriTooLong => "The request target is too long",
        GatewayError.LoopDetected => "The request has passed through too many gateways",
        GatewayError.Unauthorized => "The caller is not authenticated",
        GatewayError.BadSignature => "The request signature is not valid",
        GatewayError.NonceStoreUnavailable => "The replay check of signed requests is unavailable",
        GatewayError.LoginCheckUnavailable => "The login state could not be checked",
        GatewayError.BadCiphertext => "The encrypted request body is not valid",
        GatewayError.UnsupportedMediaType => "The request body is not in the required format",
        GatewayError.ResponseTooLarge => "The upstream response is too large to encrypt",
        GatewayError.RequestTimeout => "The client did not send the request body in time",
        GatewayError.PluginFailed => "A plugin filter of the API failed",
        GatewayError.UpstreamError => "The upstream service answered with an error",
        _ => "Internal gateway error",
    };
}
