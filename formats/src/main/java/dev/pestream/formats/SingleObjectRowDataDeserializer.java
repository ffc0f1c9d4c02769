package dev.pestream.formats;

import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.AvroToRowDataConverters;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

/**
 * Single-object encoded PE Stream record → RowData: the header's fingerprint picks the writer
 * schema among the project's records; the record is read into a projection of that schema holding
 * the table's columns in the table's order, which flink-avro's converters turn into a row.
 */
final class SingleObjectRowDataDeserializer implements DeserializationSchema<RowData> {
  private static final long serialVersionUID = 1L;

  /** The records PE Stream writes to Kafka, whose schemas the fingerprints identify. */
  private static final List<Schema> RECORD_SCHEMAS = List.of(Alert.getClassSchema(), AlertRule.getClassSchema(),
      Caption.getClassSchema(), DeadLetter.getClassSchema(), Embedding.getClassSchema(), EventSpan.getClassSchema(),
      MediaChunk.getClassSchema(), TagEvent.getClassSchema(), TagVocabulary.getClassSchema());

  private final RowType rowType;
  private final TypeInformation<RowData> producedType;

  private transient Map<Long, Schema> writersByFingerprint;
  private transient Map<Long, GenericDatumReader<GenericRecord>> readers;
  private transient AvroToRowDataConverters.AvroToRowDataConverter converter;

  SingleObjectRowDataDeserializer(RowType rowType, TypeInformation<RowData> producedType) {
    this.rowType = rowType;
    this.producedType = producedType;
  }

  @Override
  public void open(InitializationContext context) {
    writersByFingerprint = new HashMap<>();
    for (Schema schema : RECORD_SCHEMAS) {
      writersByFingerprint.put(SchemaNormalization.parsingFingerprint64(schema), schema);
    }
    readers = new HashMap<>();
    converter = AvroToRowDataConverters.createRowConverter(rowType);
  }

  @Override
  public RowData deserialize(byte[] message) throws IOException {
    try {
      if (message == null || message.length < RecordCodec.HEADER_BYTES
          || message[0] != (byte) 0xC3 || message[1] != (byte) 0x01) {
        throw new IOException("not an Avro single-object record (expected marker C3 01)");
      }
      long fingerprint = ByteBuffer.wrap(message, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      GenericRecord record = readerFor(fingerprint).read(null, DecoderFactory.get().binaryDecoder(
          message, RecordCodec.HEADER_BYTES, message.length - RecordCodec.HEADER_BYTES, null));
      return (RowData) converter.convert(record);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      throw new IOException("pestream-avro cannot read a record: " + e.getMessage(), e);
    }
  }

  private GenericDatumReader<GenericRecord> readerFor(long fingerprint) throws IOException {
    GenericDatumReader<GenericRecord> reader = readers.get(fingerprint);
    if (reader == null) {
      Schema writer = writersByFingerprint.get(fingerprint);
      if (writer == null) {
        throw new IOException(String.format("unknown schema fingerprint %016x: not a PE Stream record schema"
            + " of this version", fingerprint));
      }
      reader = new GenericDatumReader<>(writer, projection(writer));
      readers.put(fingerprint, reader);
    }
    return reader;
  }

  /** The writer's fields named by the table's columns, in the columns' order. */
  private Schema projection(Schema writer) throws IOException {
    List<Schema.Field> fields = new ArrayList<>();
    for (String column : rowType.getFieldNames()) {
      Schema.Field field = writer.getField(column);
      if (field == null) {
        throw new IOException("column " + column + " is not a field of " + writer.getFullName() + " (fields: "
            + writer.getFields().stream().map(Schema.Field::name).toList() + ")");
      }
      fields.add(new Schema.Field(field, field.schema()));
    }
    return Schema.createRecord(writer.getName(), writer.getDoc(), writer.getNamespace(), false, fields);
  }

  @Override
  public boolean isEndOfStream(RowData nextElement) {
    return false;
  }

  @Override
  public TypeInformation<RowData> getProducedType() {
    return producedType;
  }
}
