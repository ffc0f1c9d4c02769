package dev.pestream.jobs.run;

/**
 * A failure the user can fix: printed as {@code error: <what> (<hint>)} and mapped to its exit
 * code, without a stack trace unless {@code --verbose}.
 */
public final class CliError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ExitCode exitCode;
  private final String hint;

  public CliError(ExitCode exitCode, String what, String hint) {
    this(exitCode, what, hint, null);
  }

  public CliError(ExitCode exitCode, String what, String hint, Throwable cause) {
    super(what, cause);
    this.exitCode = exitCode;
    this.hint = hint;
  }

  public ExitCode exitCode() {
    return exitCode;
  }

  public String hint() {
    return hint;
  }
}
