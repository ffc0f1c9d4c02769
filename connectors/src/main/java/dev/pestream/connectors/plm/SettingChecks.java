package dev.pestream.connectors.plm;

import java.time.Duration;

/**
 * The range checks of the caption settings' parts (these here and the caption stage's in
 * operators), so that every part rejects a bad value with the same wording.
 */
public final class SettingChecks {
  private SettingChecks() {}

  public static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
  }

  public static void range(int value, int min, int max, String what) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(what + " must be in [" + min + ", " + max + "], got " + value);
    }
  }

  public static void positive(Duration d, String what) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  public static void notNegative(Duration d, String what) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, got " + d);
    }
  }
}
