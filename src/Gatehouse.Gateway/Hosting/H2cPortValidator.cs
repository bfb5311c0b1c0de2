using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting;

/// <summary>Refuses an h2c port out of range or shared with another port of the node, naming the keys.</summary>
internal sealed class H2cPortValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        if (options.H2cPort is not { } port)
        {
            return ValidateOptionsResult.Success;
        }

        const string Key = $"{GatewayOptions.Section}:{nameof(GatewayOptions.H2cPort)}";
        if (port is < 1 or > 65535)
        {
            return ValidateOptionsResult.Fail($"{Key} must be between 1 and 65535 (was {port}).");
        }

        var tls = options.Tls;
        string? other = port == options.ControlPort ? nameof(GatewayOptions.ControlPort)
            : port == options.Port && !tls.DisablePlain ? nameof(GatewayOptions.Port)
            : port == tls.Port && tls.Enabled ? $"{nameof(GatewayOptions.Tls)}:{nameof(Tls.GatewayTlsOptions.Port)}"
            : null;
        return other is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{Key} must differ from {GatewayOptions.Section}:{other} (both {port}).");
    }
}
