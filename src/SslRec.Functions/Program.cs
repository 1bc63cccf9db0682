using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using SslRec.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddSslRecPipeline(builder.Configuration);
builder.Build().Run();
