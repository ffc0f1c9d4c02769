package dev.pestream.jobs.cli;

import dev.pestream.jobs.run.RunCommand;
import dev.pestream.jobs.run.ExitCode;

import dev.pestream.ingest.IngestCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code pestream} command line: {@code ingest}, {@code run}, {@code demo}, {@code console}, {@code rules}. */
@Command(
    name = "pestream",
    mixinStandardHelpOptions = true,
    version = "pestream 0.1.0",
    description = "PE Stream: real-time perception over media streams (Flink + Kafka + Perception Encoder).",
    exitCodeListHeading = "%nExit codes (every command):%n",
    subcommands = {IngestCommand.class, DemoCommand.class, ConsoleCommand.class, RulesCommand.class, ModelsCommand.class,
        CommandLine.HelpCommand.class})
public class PestreamCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  // inherited: `pestream demo --verbose ...` works as well as `pestream --verbose demo ...`
  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print the stack trace of an error.")
  boolean verbose;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (no {@code System.exit}). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The picocli command line, for callers that add subcommands or set streams. */
  public static CommandLine commandLine() {
    PestreamCli top = new PestreamCli();
    // run's help lists every job setting, so it is added with its footer
    CommandLine cli = new CommandLine(top).addSubcommand("run", RunCommand.commandLine());
    ErrorHandler errors = new ErrorHandler(() -> top.verbose);
    cli.setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors);
    cli.getCommandSpec().usageMessage().exitCodeList(ExitCode.helpList());
    for (String command : new String[] {"run", "demo", "console", "rules"}) {
      cli.getSubcommands().get(command).getCommandSpec().usageMessage()
          .exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCode.helpList());
    }
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }
}
