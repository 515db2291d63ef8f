using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox;
using OrderOutbox.FaultInjection.Worker;

// A dispatcher host for the fault-injection suite: everything comes from the command line
// (--Worker:ConnectionString=… --Worker:Schema=… --Worker:Endpoint=… --OrderOutbox:PollingInterval=… …),
// so the test process starts it with `dotnet OrderOutbox.FaultInjection.Worker.dll <args>` and can SIGKILL
// or SIGTERM it like any production process.
var builder = Host.CreateApplicationBuilder(args);
var settings = WorkerSettings.From(builder.Configuration);

builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(settings.ConnectionString));
builder.Services.AddSingleton<IDeadLetterHandler, TableDeadLetterHandler>();
builder.Services
    .AddOrderOutbox(builder.Configuration.GetSection(OutboxOptions.SectionName))
    .UsePostgreSql(settings.ConnectionString, pg =>
    {
        pg.Schema = settings.Schema;
        pg.UseNotifications = settings.UseNotifications;
    })
    .UseHttpDispatcher(http => http.Endpoint = settings.Endpoint);

using var host = builder.Build();
await host.StartAsync();

// The test waits for this line before it counts the worker as running.
Console.Out.WriteLine($"WORKER READY pid={Environment.ProcessId}");
Console.Out.Flush();

await host.WaitForShutdownAsync();
Console.Out.WriteLine($"WORKER STOPPED pid={Environment.ProcessId}");
Console.Out.Flush();
return 0;
