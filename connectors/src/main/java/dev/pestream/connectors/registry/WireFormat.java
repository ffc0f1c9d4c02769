package dev.pestream.connectors.registry;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How records are framed on Kafka: Avro single-object encoding or the schema-registry wire format. */
public enum WireFormat {
  /** Marker {@code C3 01}, the writer schema's 8-byte CRC-64-AVRO fingerprint, the Avro body. */
  SINGLE_OBJECT("single-object"),
  /** Confluent's framing: magic byte {@code 0}, the 4-byte big-endian registry schema id, the Avro body. */
  REGISTRY("registry");

  private final String value;

  WireFormat(String value) {
    this.value = value;
  }

  /** The setting's value ({@code single-object} or {@code registry}). */
  public String value() {
    return value;
  }

  public static WireFormat parse(String value) {
    for (WireFormat format : values()) {
      if (format.value.equalsIgnoreCase(value == null ? "" : value.trim())) {
        return format;
      }
    }
    throw new IllegalArgumentException("unknown wire format '" + value + "': use one of "
        + Arrays.stream(values()).map(WireFormat::value).collect(Collectors.joining(", ")));
  }
}
