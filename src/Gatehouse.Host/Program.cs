using Gatehouse.Admin;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

// gatehouse [all-in-one] [--registry zookeeper://HOST:PORT] [options]
//                                    admin + gateway + demo services, state in ./data/; with --registry the demo
//                                    nodes register in ZooKeeper and the admin mirrors it
// gatehouse admin [--urls URL]       the admin service only
// gatehouse gateway --config FILE | --admin URL   a gateway node only
//     [--tls-port P --tls-cert CHAIN.pem --tls-key KEY.pem | --tls-pfx FILE.pfx] [--tls-chain-check refuse|warn|off]
//                                    ... with HTTPS on P as well; exits 1 when the certificate is refused
// gatehouse demo --service S --port P [--node N] [--loc L] [--registry URL|zookeeper://HOST:PORT --group G [--registry-token T]]
//                                    one demo backend; with --registry it joins through the SDK
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "all-in-one";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;

switch (command)
{
    case "gateway":
        return await GatewayApplication.RunAsync(rest);
    case "admin":
        await AdminApplication.Create(rest).RunAsync();
        return 0;
    case "demo":
        return await Commands.RunDemoAsync(rest);
    case "all-in-one":
        return await AllInOne.RunAsync(rest);
    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: all-in-one (default), admin, gateway, demo.");
        return 2;
}
