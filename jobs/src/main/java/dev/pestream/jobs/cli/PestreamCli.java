package dev.pestream.jobs.cli;

import dev.pestream.ingest.IngestCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pestream} command line: {@code ingest}, {@code run}, {@code demo}. */
@Command(
    name = "pestream",
    mixinStandardHelpOptions = true,
    version = "pestream 0.1.0",
    description = "PE Stream: real-time perception over media streams (Flink + Kafka + Perception Encoder).",
    subcommands = {IngestCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public class PestreamCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (no {@code System.exit}). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The picocli command line, for callers that add subcommands or set streams. */
  public static CommandLine commandLine() {
    // run's help lists every job setting, so it is added with its footer
    return new CommandLine(new PestreamCli()).addSubcommand("run", RunCommand.commandLine());
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }
}
