package dev.pestream.jobs.cli;

import dev.pestream.jobs.run.CliError;
import dev.pestream.jobs.run.ExitCode;
import dev.pestream.jobs.run.Preflight;

import dev.pestream.ingest.PublishException;
import dev.pestream.ingest.SourceException;
import dev.pestream.models.bundle.BundleValidationException;
import java.io.PrintWriter;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Every failure of a command as one line on stderr, {@code error: <what> (<what to do>)}, and its
 * {@link ExitCode}; the stack trace only with {@code --verbose}.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  private final BooleanSupplier verbose;

  ErrorHandler(BooleanSupplier verbose) {
    this.verbose = verbose;
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String help = "see '" + cmd.getCommandSpec().qualifiedName() + " --help'";
    String hint = e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()
        ? "did you mean " + String.join(" or ", u.getSuggestions()) + "? " + help
        : help;
    return report(cmd.getErr(), ExitCode.USAGE, e, e.getMessage(), hint);
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof CliError c) {
      return report(err, c.exitCode(), e, c.getMessage(), c.hint());
    }
    if (e instanceof SourceException) {
      return report(err, ExitCode.INPUT, e, e.getMessage(), "check the media path or URL");
    }
    if (e instanceof PublishException p) {
      return p.kind() == PublishException.Kind.BLOB_STORE
          ? report(err, ExitCode.BLOB_STORE, e, e.getMessage(), "check the blob store location")
          : report(err, ExitCode.KAFKA, e, e.getMessage(), "check the bootstrap servers and that Kafka is running");
    }
    if (e instanceof BundleValidationException) {
      return report(err, ExitCode.MODEL_BUNDLE, e, e.getMessage(), Preflight.bundleHint());
    }
    String what = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    return report(err, ExitCode.FAILURE, e, what, "run with --verbose for the details");
  }

  private int report(PrintWriter err, ExitCode code, Exception e, String what, String hint) {
    // picocli and library messages may span lines; the error is one line
    err.println("error: " + what.strip().replaceAll("\\s*\\R\\s*", " ") + " (" + hint + ")");
    if (verbose.getAsBoolean()) {
      e.printStackTrace(err);
    }
    err.flush();
    return code.code();
  }
}
