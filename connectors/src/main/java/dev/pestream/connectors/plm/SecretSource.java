package dev.pestream.connectors.plm;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Where a secret (API key, trust-store password) is read from on the machine that needs it: an
 * environment variable or a file (e.g. a mounted Kubernetes secret). Only the reference travels
 * with the job; the value is read when the operator opens and is never logged or printed —
 * {@link #toString()} names the source, not the secret.
 */
public record SecretSource(Kind kind, String name) implements Serializable {
  public enum Kind {
    NONE,
    ENV,
    FILE
  }

  private static final SecretSource NONE = new SecretSource(Kind.NONE, "");

  public SecretSource {
    if (kind == null || name == null) {
      throw new IllegalArgumentException("secret source needs a kind and a name");
    }
    if (kind != Kind.NONE && name.isBlank()) {
      throw new IllegalArgumentException("a " + kind.name().toLowerCase(Locale.ROOT) + " secret source needs a name");
    }
  }

  public static SecretSource none() {
    return NONE;
  }

  public static SecretSource env(String variable) {
    return new SecretSource(Kind.ENV, variable);
  }

  public static SecretSource file(Path path) {
    return new SecretSource(Kind.FILE, path.toString());
  }

  /** Parses {@code env:NAME}, {@code file:/path}, or an empty/absent value (no secret). */
  public static SecretSource parse(String spec) {
    if (spec == null || spec.isBlank()) {
      return NONE;
    }
    String s = spec.trim();
    if (s.startsWith("env:")) {
      return env(s.substring(4).trim());
    }
    if (s.startsWith("file:")) {
      return new SecretSource(Kind.FILE, s.substring(5).trim());
    }
    // Never echo the value: someone may have pasted the secret itself here.
    throw new IllegalArgumentException("a secret must be given as env:VARIABLE or file:/path (the value itself is not accepted)");
  }

  public boolean isPresent() {
    return kind != Kind.NONE;
  }

  /** Reads the secret from the process environment or the file system. */
  public Optional<String> resolve() {
    return resolve(System::getenv);
  }

  /**
   * Reads the secret; {@code environment} looks up environment variables (tests pass their own).
   * A file's trailing newline is dropped. A named source that is missing or empty fails: a job
   * configured with a key must not silently call the server without one.
   */
  public Optional<String> resolve(UnaryOperator<String> environment) {
    switch (kind) {
      case NONE:
        return Optional.empty();
      case ENV: {
        String value = environment.apply(name);
        if (value == null || value.isBlank()) {
          throw new IllegalStateException("environment variable " + name + " (secret) is not set or empty");
        }
        return Optional.of(value.strip());
      }
      case FILE: {
        String value;
        try {
          value = Files.readString(Path.of(name), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
          throw new IllegalStateException("cannot read the secret file " + name + ": " + e.getClass().getSimpleName());
        }
        if (value.isEmpty()) {
          throw new IllegalStateException("the secret file " + name + " is empty");
        }
        return Optional.of(value);
      }
      default:
        throw new IllegalStateException("unknown secret source " + kind);
    }
  }

  @Override
  public String toString() {
    return switch (kind) {
      case NONE -> "none";
      case ENV -> "env:" + name;
      case FILE -> "file:" + name;
    };
  }
}
