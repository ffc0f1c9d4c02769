package dev.pestream.connectors.kafka;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Passes every Kafka record through as raw {@link KafkaInput}: reading a record never fails. */
public final class KafkaInputDeserializer implements KafkaRecordDeserializationSchema<KafkaInput> {
  private static final long serialVersionUID = 1L;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaInput> out) {
    out.collect(new KafkaInput(record.topic(), record.partition(), record.offset(), record.timestamp(),
        record.key(), record.value()));
  }

  @Override
  public TypeInformation<KafkaInput> getProducedType() {
    return TypeInformation.of(KafkaInput.class);
  }
}
