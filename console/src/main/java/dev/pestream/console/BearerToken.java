package dev.pestream.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The token /api requests must carry ({@code Authorization: Bearer ...}), read from a reference so
 * it never sits on a command line: {@code env:NAME} or {@code file:PATH} (first line). The value
 * is never logged: {@link #toString} shows only where it came from.
 */
public final class BearerToken {
  private final String reference;
  private final byte[] secret;

  private BearerToken(String reference, String secret) {
    this.reference = reference;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  public static BearerToken resolve(String reference) {
    return resolve(reference, System::getenv);
  }

  static BearerToken resolve(String reference, UnaryOperator<String> environment) {
    String value;
    if (reference.startsWith("env:")) {
      value = environment.apply(reference.substring(4));
      if (value == null) {
        throw new IllegalArgumentException("token reference " + reference + ": the environment variable is not set");
      }
    } else if (reference.startsWith("file:")) {
      try {
        List<String> lines = Files.readAllLines(Path.of(reference.substring(5)), StandardCharsets.UTF_8);
        value = lines.isEmpty() ? "" : lines.get(0);
      } catch (IOException e) {
        throw new IllegalArgumentException("token reference " + reference + ": cannot read the file (" + e.getMessage() + ")", e);
      }
    } else {
      throw new IllegalArgumentException("a token is given as env:NAME or file:PATH, not as the token itself");
    }
    value = value.strip();
    if (value.length() < 16) {
      throw new IllegalArgumentException("token reference " + reference + ": the token must have at least 16 characters");
    }
    return new BearerToken(reference, value);
  }

  /** True if the {@code Authorization} header carries this token (constant-time comparison). */
  public boolean accepts(String authorizationHeader) {
    if (authorizationHeader == null || !authorizationHeader.startsWith("Bearer ")) {
      return false;
    }
    byte[] given = authorizationHeader.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, secret);
  }

  @Override
  public String toString() {
    return "token from " + reference;
  }
}
