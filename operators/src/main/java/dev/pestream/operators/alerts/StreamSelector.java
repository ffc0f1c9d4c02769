package dev.pestream.operators.alerts;

import java.util.regex.Pattern;

/** Glob over stream ids ({@code *} any run of characters, {@code ?} one character). */
public final class StreamSelector {
  private StreamSelector() {}

  public static boolean matches(String glob, String streamId) {
    if (glob == null || glob.isEmpty() || glob.equals("*")) {
      return true;
    }
    return toPattern(glob).matcher(streamId).matches();
  }

  static Pattern toPattern(String glob) {
    StringBuilder regex = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : glob.toCharArray()) {
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          regex.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        regex.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      regex.append(Pattern.quote(literal.toString()));
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }
}
