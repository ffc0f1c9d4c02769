package dev.pestream.connectors.registry;

import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.schemas.codec.RecordDecodingException;
import dev.pestream.schemas.codec.RecordDecodingException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads and writes one record type on Kafka in either framing. Writes in the {@link RecordFormat}'s
 * format; reads both, told apart by the first byte: {@code 0} is the registry wire format (schema
 * id, resolved through the registry, then Avro schema resolution to the current schema),
 * {@code C3} the single-object encoding ({@link RecordCodec}). Serializable; the registry client
 * and the resolved readers are built on first use on the task side and cached.
 */
public final class WireCodec<T extends SpecificRecord> implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Registry framing: magic byte 0 + 4-byte big-endian schema id. */
  public static final int REGISTRY_HEADER_BYTES = 5;

  private static final byte MAGIC_BYTE = 0;

  private final RecordCodec<T> codec;
  private final RecordFormat format;

  private transient Map<Integer, SpecificDatumReader<T>> readersById;
  private transient Map<String, Integer> idsByTopic;
  private transient SpecificDatumWriter<T> writer;

  WireCodec(RecordCodec<T> codec, RecordFormat format) {
    this.codec = codec;
    this.format = format;
  }

  /** Writes single-object records; reads registry-format ones only to dead-letter them (no registry). */
  public static <T extends SpecificRecord> WireCodec<T> singleObject(RecordCodec<T> codec) {
    return new WireCodec<>(codec, RecordFormat.singleObject());
  }

  public Class<T> type() {
    return codec.type();
  }

  /**
   * Looks up (or registers) the schema id records for {@code topic} are written with, so a
   * registry that is unreachable or refuses the schema is reported when a sink opens rather than
   * at its first record. Does nothing for single-object.
   */
  public void prepareWrite(String topic) {
    if (format.writes() == WireFormat.REGISTRY) {
      schemaIdFor(topic);
    }
  }

  /** The record framed for {@code topic} (whose name is the registry subject's by default). */
  public byte[] encode(String topic, T record) {
    if (format.writes() == WireFormat.SINGLE_OBJECT) {
      return codec.encode(record);
    }
    int id = schemaIdFor(topic);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      out.write(MAGIC_BYTE);
      out.write(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer().write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot encode " + type().getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  public T decode(byte[] bytes) throws RecordDecodingException {
    if (bytes == null || bytes.length == 0 || bytes[0] != MAGIC_BYTE) {
      return codec.decode(bytes);
    }
    String name = type().getSimpleName();
    if (bytes.length > codec.maxBytes()) {
      throw new RecordDecodingException(Kind.TOO_LARGE,
          name + " of " + bytes.length + " bytes exceeds the limit of " + codec.maxBytes() + " bytes", null);
    }
    if (bytes.length < REGISTRY_HEADER_BYTES) {
      throw new RecordDecodingException(Kind.MALFORMED_BODY, "registry-format " + name + " of " + bytes.length
          + " bytes is shorter than its 5-byte header", null);
    }
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    SpecificDatumReader<T> reader = readerFor(id);
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(
          bytes, REGISTRY_HEADER_BYTES, bytes.length - REGISTRY_HEADER_BYTES, null);
      T record = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new IOException((bytes.length - REGISTRY_HEADER_BYTES) + "-byte body has bytes left after the record");
      }
      return record;
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new RecordDecodingException(Kind.MALFORMED_BODY, "malformed registry-format " + name
          + " body (schema id " + id + "): " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  private SpecificDatumReader<T> readerFor(int id) throws RecordDecodingException {
    SpecificDatumReader<T> cached = readers().get(id);
    if (cached != null) {
      return cached;
    }
    String name = type().getSimpleName();
    if (format.registry() == null) {
      throw new RecordDecodingException(Kind.REGISTRY_UNAVAILABLE, "a registry-format " + name + " (schema id " + id
          + ") but no schema registry is configured (" + RecordFormatOptions.REGISTRY_URL.key() + ")", null);
    }
    Schema writerSchema;
    try {
      writerSchema = SchemaRegistryClient.shared(format.registry()).schemaById(id);
    } catch (RegistryException e) {
      Kind kind = switch (e.kind()) {
        case NOT_FOUND -> Kind.UNKNOWN_SCHEMA_ID;
        case REFUSED, UNAVAILABLE -> Kind.REGISTRY_UNAVAILABLE;
      };
      throw new RecordDecodingException(kind, "cannot read a registry-format " + name + ": " + e.getMessage(), e);
    }
    Schema readerSchema = codec.schema();
    if (writerSchema.getType() != Schema.Type.RECORD
        || !(writerSchema.getFullName().equals(readerSchema.getFullName())
            || readerSchema.getAliases().contains(writerSchema.getFullName()))) {
      throw new RecordDecodingException(Kind.INCOMPATIBLE_SCHEMA, "schema id " + id + " is "
          + (writerSchema.getType() == Schema.Type.RECORD ? writerSchema.getFullName() : writerSchema.getType())
          + ", not a version of " + readerSchema.getFullName(), null);
    }
    SpecificDatumReader<T> reader =
        new SpecificDatumReader<>(writerSchema, readerSchema, SpecificData.getForClass(type()));
    readers().put(id, reader);
    return reader;
  }

  private int schemaIdFor(String topic) {
    Integer cached = ids().get(topic);
    if (cached != null) {
      return cached;
    }
    RegistrySettings registry = format.registry();
    Schema schema = codec.schema();
    String subject = registry.subjectNaming().subject(topic, schema);
    try {
      int id = SchemaRegistryClient.shared(registry).idOf(subject, schema, registry.autoRegister());
      ids().put(topic, id);
      return id;
    } catch (RegistryException e) {
      String hint = e.kind() == RegistryException.Kind.NOT_FOUND && !registry.autoRegister()
          ? " (" + RecordFormatOptions.AUTO_REGISTER.key() + " is off: register " + schema.getFullName()
              + " under subject " + subject + " first)"
          : "";
      throw new IllegalStateException("cannot write " + type().getSimpleName() + " records to " + topic
          + " in the registry format: " + e.getMessage() + hint, e);
    }
  }

  private Map<Integer, SpecificDatumReader<T>> readers() {
    if (readersById == null) {
      readersById = new ConcurrentHashMap<>();
    }
    return readersById;
  }

  private Map<String, Integer> ids() {
    if (idsByTopic == null) {
      idsByTopic = new ConcurrentHashMap<>();
    }
    return idsByTopic;
  }

  private SpecificDatumWriter<T> writer() {
    if (writer == null) {
      writer = new SpecificDatumWriter<>(codec.schema(), SpecificData.getForClass(type()));
    }
    return writer;
  }
}
