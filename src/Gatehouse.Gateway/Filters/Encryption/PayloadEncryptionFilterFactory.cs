using Gatehouse.Plugins;

namespace Gatehouse.Gateway.Filters.Encryption;

/// <summary><c>payload-encryption</c>: <c>encryption</c> merged as a whole (innermost level wins).</summary>
internal sealed class PayloadEncryptionFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.PayloadEncryption;

    public BuiltInFilter? Create(BuiltInFilterScope scope) => scope.Auth.CompileEncryption(scope.Global, scope.Service, scope.Api);
}
