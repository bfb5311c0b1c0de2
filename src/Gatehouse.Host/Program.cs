using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

// gatehouse [all-in-one] [options]   gateway + demo services, config in ./data/gatehouse.yaml
// gatehouse gateway --config FILE    a gateway node only
// gatehouse demo --service S --node N --port P [--loc L]   one demo backend
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "all-in-one";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;

switch (command)
{
    case "gateway":
        await GatewayApplication.Create(rest).RunAsync();
        return 0;
    case "demo":
        return await Commands.RunDemoAsync(rest);
    case "all-in-one":
        return await Commands.RunAllInOneAsync(rest);
    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: all-in-one (default), gateway, demo.");
        return 2;
}
