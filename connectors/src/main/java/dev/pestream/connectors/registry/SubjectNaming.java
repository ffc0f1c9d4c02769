package dev.pestream.connectors.registry;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.avro.Schema;

/** Which registry subject a topic's value schema is registered under (Confluent's naming strategies). */
public enum SubjectNaming {
  /** {@code <topic>-value}: Confluent's default, what Flink SQL, Kafka Connect and the Python client assume. */
  TOPIC_NAME("topic-name"),
  /** The record's full name ({@code dev.pestream.schemas.EventSpan}), shared by every topic carrying it. */
  RECORD_NAME("record-name");

  private final String value;

  SubjectNaming(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  public String subject(String topic, Schema schema) {
    return this == TOPIC_NAME ? topic + "-value" : schema.getFullName();
  }

  public static SubjectNaming parse(String value) {
    for (SubjectNaming naming : values()) {
      if (naming.value.equalsIgnoreCase(value == null ? "" : value.trim())) {
        return naming;
      }
    }
    throw new IllegalArgumentException("unknown subject naming '" + value + "': use one of "
        + Arrays.stream(values()).map(SubjectNaming::value).collect(Collectors.joining(", ")));
  }
}
