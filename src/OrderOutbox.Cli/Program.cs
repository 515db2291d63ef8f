using OrderOutbox.Cli;

var application = new CliApplication(Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System);
return await application.RunAsync(args).ConfigureAwait(false);
