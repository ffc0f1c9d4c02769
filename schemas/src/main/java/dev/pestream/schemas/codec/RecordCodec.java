package dev.pestream.schemas.codec;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads and writes one record type in Avro's single-object encoding (marker {@code C3 01}, the
 * writer schema's 64-bit CRC-64-AVRO fingerprint, then the Avro binary body), so any consumer can
 * tell which schema wrote a record.
 *
 * <p>Records written by older versions of the schema are read through schema resolution once
 * their writer schema is registered with {@link #withWriterSchema}; an unknown fingerprint is
 * rejected with {@link RecordDecodingException.Kind#UNKNOWN_FINGERPRINT}. Instances are
 * serializable so Flink functions can hold them; the Avro encoder and decoder are rebuilt lazily
 * on the task side.
 */
public final class RecordCodec<T extends SpecificRecord> implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Single-object header: 2 marker bytes + 8 fingerprint bytes. */
  public static final int HEADER_BYTES = 10;

  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;

  private final Class<T> type;
  private final int maxBytes;
  private final List<String> olderWriterSchemas;

  private transient BinaryMessageEncoder<T> encoder;
  private transient BinaryMessageDecoder<T> decoder;
  private transient Schema schema;

  private RecordCodec(Class<T> type, int maxBytes, List<String> olderWriterSchemas) {
    this.type = type;
    this.maxBytes = maxBytes;
    this.olderWriterSchemas = List.copyOf(olderWriterSchemas);
  }

  /** A codec for a generated record class; records larger than 16 MiB are rejected. */
  public static <T extends SpecificRecord> RecordCodec<T> of(Class<T> type) {
    return new RecordCodec<>(type, 16 << 20, List.of());
  }

  /** The same codec, also reading records written with an older version of the schema. */
  public RecordCodec<T> withWriterSchema(Schema olderWriterSchema) {
    List<String> schemas = new ArrayList<>(olderWriterSchemas);
    schemas.add(olderWriterSchema.toString());
    return new RecordCodec<>(type, maxBytes, schemas);
  }

  /** The same codec, rejecting encoded records longer than {@code maxBytes}. */
  public RecordCodec<T> withMaxBytes(int maxBytes) {
    if (maxBytes <= HEADER_BYTES) {
      throw new IllegalArgumentException("maxBytes must exceed the " + HEADER_BYTES + "-byte header");
    }
    return new RecordCodec<>(type, maxBytes, olderWriterSchemas);
  }

  /** Longest encoded record {@link #decode} accepts. */
  public int maxBytes() {
    return maxBytes;
  }

  public Class<T> type() {
    return type;
  }

  public Schema schema() {
    if (schema == null) {
      Schema s = SpecificData.get().getSchema(type);
      TrustedRecordClasses.trust(s, type.getClassLoader());
      schema = s;
    }
    return schema;
  }

  /** CRC-64-AVRO fingerprint of the current schema, as written in every record header. */
  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(schema());
  }

  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder().encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  public T decode(byte[] bytes) throws RecordDecodingException {
    String name = type.getSimpleName();
    if (bytes == null || bytes.length == 0) {
      throw new RecordDecodingException(
          RecordDecodingException.Kind.EMPTY, "empty payload where a " + name + " was expected", null);
    }
    if (bytes.length > maxBytes) {
      throw new RecordDecodingException(
          RecordDecodingException.Kind.TOO_LARGE,
          name + " of " + bytes.length + " bytes exceeds the limit of " + maxBytes + " bytes",
          null);
    }
    if (bytes.length < HEADER_BYTES || bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
      throw new RecordDecodingException(
          RecordDecodingException.Kind.NOT_SINGLE_OBJECT,
          "not an Avro single-object record (expected marker C3 01 and a 8-byte schema fingerprint,"
              + " got " + bytes.length + " bytes starting " + hexPrefix(bytes) + ")",
          null);
    }
    try {
      return decoder().decode(bytes);
    } catch (MissingSchemaException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Kind.UNKNOWN_FINGERPRINT,
          "unknown schema fingerprint "
              + String.format("%016x", fingerprintOf(bytes))
              + ": not written by any known version of "
              + name
              + " (current fingerprint "
              + String.format("%016x", fingerprint())
              + ")",
          e);
    } catch (BadHeaderException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Kind.NOT_SINGLE_OBJECT, "bad single-object header: " + e.getMessage(), e);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Kind.MALFORMED_BODY,
          "malformed " + name + " body: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
          e);
    }
  }

  /** The little-endian fingerprint in a single-object header (bytes 2..9). */
  public static long fingerprintOf(byte[] bytes) {
    return ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private BinaryMessageEncoder<T> encoder() {
    if (encoder == null) {
      encoder = new BinaryMessageEncoder<>(SpecificData.getForClass(type), schema());
    }
    return encoder;
  }

  private BinaryMessageDecoder<T> decoder() {
    if (decoder == null) {
      BinaryMessageDecoder<T> d = new BinaryMessageDecoder<>(SpecificData.getForClass(type), schema());
      for (String writer : olderWriterSchemas) {
        d.addSchema(new Schema.Parser().parse(writer));
      }
      decoder = d;
    }
    return decoder;
  }

  private static String hexPrefix(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      sb.append(String.format("%02x", bytes[i]));
    }
    return sb.toString();
  }
}
