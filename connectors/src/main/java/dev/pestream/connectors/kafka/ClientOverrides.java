package dev.pestream.connectors.kafka;

import java.util.Properties;
import java.util.function.Predicate;

/**
 * Guards the settings the job's guarantees rest on against the user's Kafka client properties
 * ({@code kafka.client.*}), which the builders apply last: a contradicting value would otherwise
 * replace the job's silently.
 */
final class ClientOverrides {
  private ClientOverrides() {}

  /**
   * Throws if {@code user} sets {@code key} to a value (trimmed, as Kafka reads it) that {@code
   * allowed} rejects; {@code why} says what the job's setting protects.
   */
  static void refuseUnless(Properties user, String key, Predicate<String> allowed, String why) {
    Object value = user.get(key);
    if (value != null && !allowed.test(String.valueOf(value).trim())) {
      throw new IllegalArgumentException(
          "Kafka client property " + key + "=" + value + " is refused: " + why);
    }
  }
}
