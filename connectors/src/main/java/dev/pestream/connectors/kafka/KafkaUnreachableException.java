package dev.pestream.connectors.kafka;

/** The Kafka cluster did not answer {@link BrokerCheck} (nothing listens, unknown host, no answer in time). */
public class KafkaUnreachableException extends Exception {
  private static final long serialVersionUID = 1L;

  public KafkaUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
