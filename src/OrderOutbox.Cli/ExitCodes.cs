namespace OrderOutbox.Cli;

/// <summary>The exit codes of <c>orderoutbox</c> (documented in the package readme and <c>orderoutbox --help</c>).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked (also: a dry run, or nothing matched).</summary>
    public const int Ok = 0;

    /// <summary>The command failed while running: the database could not be reached, the table does not exist, a timeout…</summary>
    public const int RuntimeError = 1;

    /// <summary>The command line is wrong: an unknown command or option, a value out of range, a missing connection string.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl+C) before it finished; batches already written stay written.</summary>
    public const int Cancelled = 130;
}
