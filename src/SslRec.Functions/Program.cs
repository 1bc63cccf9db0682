using Microsoft.Extensions.Hosting;
using SslRec.Functions;

FunctionsAppHost.Build(args).Run();
