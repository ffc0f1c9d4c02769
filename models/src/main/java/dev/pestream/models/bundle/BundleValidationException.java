package dev.pestream.models.bundle;

import java.util.List;

/** A bundle that does not match its manifest (or the graph contract); the message lists every problem. */
public class BundleValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public BundleValidationException(String bundle, List<String> problems) {
    super("invalid model bundle " + bundle + ": " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public BundleValidationException(String bundle, String problem, Throwable cause) {
    super("invalid model bundle " + bundle + ": " + problem, cause);
    this.problems = List.of(problem);
  }

  public List<String> problems() {
    return problems;
  }
}
