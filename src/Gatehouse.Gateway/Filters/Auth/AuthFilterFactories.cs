using Gatehouse.Plugins;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary><c>client-certificate</c>: <c>auth.clientCertificate</c> (innermost level wins).</summary>
internal sealed class ClientCertificateFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.ClientCertificate;

    public BuiltInFilter? Create(BuiltInFilterScope scope) => scope.Auth.CompileClientCertificate(scope.Global, scope.Service, scope.Api);
}

/// <summary><c>signature</c>: <c>auth.sign</c> (innermost level wins), with the apps permitted on the API.</summary>
internal sealed class SignatureFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.Signature;

    public BuiltInFilter? Create(BuiltInFilterScope scope) => scope.Auth.CompileSignature(scope.Global, scope.Service, scope.Api);
}

/// <summary><c>jwt</c>: <c>auth.jwt</c> (innermost level wins), with the issuer's shared JWKS cache.</summary>
internal sealed class JwtFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.Jwt;

    public BuiltInFilter? Create(BuiltInFilterScope scope) => scope.Auth.CompileJwt(scope.Global, scope.Service, scope.Api);
}

/// <summary><c>login</c>: <c>auth.login</c> (innermost level wins); where it is turned off, the removal of the user-id header.</summary>
internal sealed class LoginFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.Login;

    public BuiltInFilter? Create(BuiltInFilterScope scope) => scope.Auth.CompileLogin(scope.Global, scope.Service, scope.Api);
}
