package dev.pestream.connectors.flink;

import dev.pestream.schemas.codec.RecordCodec;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Remembers the record class and the schema state was written with. On restore with a newer
 * schema, the new serializer is reconfigured to also read the old writer schema (Avro schema
 * resolution), so records in checkpoints and savepoints survive compatible schema changes.
 */
public final class RecordSerializerSnapshot<T extends SpecificRecordBase> implements TypeSerializerSnapshot<T> {
  private static final int VERSION = 1;

  private Class<T> type;
  private Schema writerSchema;

  /** For Flink's reflective instantiation on restore. */
  public RecordSerializerSnapshot() {}

  RecordSerializerSnapshot(Class<T> type, Schema writerSchema) {
    this.type = type;
    this.writerSchema = writerSchema;
  }

  @Override
  public int getCurrentVersion() {
    return VERSION;
  }

  @Override
  public void writeSnapshot(DataOutputView out) throws IOException {
    out.writeUTF(type.getName());
    byte[] schema = writerSchema.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(schema.length);
    out.write(schema);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void readSnapshot(int version, DataInputView in, ClassLoader classLoader) throws IOException {
    String className = in.readUTF();
    byte[] schema = new byte[in.readInt()];
    in.readFully(schema);
    try {
      type = (Class<T>) Class.forName(className, false, classLoader);
    } catch (ClassNotFoundException e) {
      throw new IOException("record class " + className + " of restored state is not on the class path", e);
    }
    writerSchema = new Schema.Parser().parse(new String(schema, java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public TypeSerializer<T> restoreSerializer() {
    return new RecordSerializer<>(codecReadingWriterSchema());
  }

  @Override
  public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> oldSnapshot) {
    if (!(oldSnapshot instanceof RecordSerializerSnapshot<T> old) || !old.type.getName().equals(type.getName())) {
      return TypeSerializerSchemaCompatibility.incompatible();
    }
    if (fingerprint(old.writerSchema) == fingerprint(writerSchema)) {
      return TypeSerializerSchemaCompatibility.compatibleAsIs();
    }
    var result = SchemaCompatibility.checkReaderWriterCompatibility(writerSchema, old.writerSchema);
    if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      return TypeSerializerSchemaCompatibility.incompatible();
    }
    return TypeSerializerSchemaCompatibility.compatibleWithReconfiguredSerializer(
        new RecordSerializer<>(RecordCodec.of(type).withWriterSchema(old.writerSchema)));
  }

  private RecordCodec<T> codecReadingWriterSchema() {
    RecordCodec<T> codec = RecordCodec.of(type);
    return fingerprint(writerSchema) == codec.fingerprint() ? codec : codec.withWriterSchema(writerSchema);
  }

  private static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }
}
