package dev.pestream.ingest;

import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.connectors.registry.RecordFormat;
import org.apache.kafka.clients.producer.Producer;

/**
 * Where every stream of a fleet publishes: one Kafka producer shared by all streams (one network
 * thread and one bounded send buffer, {@code buffer.memory}, instead of one per stream), the
 * topic, the claim-check store and the wire format.
 */
record FleetSink(Producer<byte[], byte[]> producer, String topic, BlobStore blobs, int inlineMaxBytes, RecordFormat format) {}
