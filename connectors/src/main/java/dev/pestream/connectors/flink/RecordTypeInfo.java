package dev.pestream.connectors.flink;

import dev.pestream.schemas.codec.RecordCodec;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information for a generated Avro record class, serialized with the project's
 * {@link RecordCodec} (single-object encoding). Used instead of flink-avro's AvroTypeInfo so
 * that every JVM trusts exactly the record classes it handles (Avro 1.12 refuses untrusted
 * classes) and state written with an older schema is read through Avro schema resolution.
 */
public final class RecordTypeInfo<T extends SpecificRecordBase> extends TypeInformation<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;

  public RecordTypeInfo(Class<T> type) {
    this.type = type;
  }

  public static <T extends SpecificRecordBase> RecordTypeInfo<T> forRecord(Class<T> type) {
    return new RecordTypeInfo<>(type);
  }

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<T> getTypeClass() {
    return type;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<T> createSerializer(SerializerConfig config) {
    return new RecordSerializer<>(RecordCodec.of(type));
  }

  @Override
  public String toString() {
    return "Record<" + type.getName() + ">";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordTypeInfo<?> other && other.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  @Override
  public boolean canEqual(Object o) {
    return o instanceof RecordTypeInfo;
  }
}
