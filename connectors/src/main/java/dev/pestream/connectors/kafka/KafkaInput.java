package dev.pestream.connectors.kafka;

import java.util.Objects;

/**
 * One Kafka record exactly as it arrived: origin coordinates and raw bytes. Sources emit these so
 * that reading never fails; parsing into a record type happens in {@link ParseRecords}, where a
 * bad record becomes a dead letter instead of a job failure. A Flink POJO.
 */
public class KafkaInput {
  public String topic;
  public int partition;
  public long offset;
  public long timestampMs;
  public byte[] key;
  public byte[] value;

  public KafkaInput() {}

  public KafkaInput(String topic, int partition, long offset, long timestampMs, byte[] key, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestampMs = timestampMs;
    this.key = key;
    this.value = value;
  }

  @Override
  public String toString() {
    return topic + "/" + partition + "@" + offset + " (" + (value == null ? "null" : value.length + " bytes") + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaInput k && k.topic.equals(topic) && k.partition == partition && k.offset == offset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, offset);
  }
}
