package dev.pestream.connectors.flink;

import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.schemas.codec.RecordDecodingException;
import java.io.IOException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Length-prefixed single-object Avro encoding of one record type (see {@link RecordTypeInfo}). */
public final class RecordSerializer<T extends SpecificRecordBase> extends TypeSerializer<T> {
  private static final long serialVersionUID = 1L;

  private final RecordCodec<T> codec;

  public RecordSerializer(RecordCodec<T> codec) {
    this.codec = codec;
  }

  RecordCodec<T> codec() {
    return codec;
  }

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<T> duplicate() {
    return new RecordSerializer<>(codec);
  }

  @Override
  public T createInstance() {
    return null;
  }

  @Override
  public T copy(T from) {
    return from == null ? null : SpecificData.getForClass(codec.type()).deepCopy(codec.schema(), from);
  }

  @Override
  public T copy(T from, T reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(T record, DataOutputView target) throws IOException {
    byte[] bytes = codec.encode(record);
    target.writeInt(bytes.length);
    target.write(bytes);
  }

  @Override
  public T deserialize(DataInputView source) throws IOException {
    byte[] bytes = new byte[source.readInt()];
    source.readFully(bytes);
    try {
      return codec.decode(bytes);
    } catch (RecordDecodingException e) {
      throw new IOException("cannot read " + codec.type().getSimpleName() + " from Flink data: " + e.getMessage(), e);
    }
  }

  @Override
  public T deserialize(T reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    int length = source.readInt();
    target.writeInt(length);
    target.write(source, length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordSerializer<?> other && other.codec.type().equals(codec.type());
  }

  @Override
  public int hashCode() {
    return codec.type().hashCode();
  }

  @Override
  public TypeSerializerSnapshot<T> snapshotConfiguration() {
    return new RecordSerializerSnapshot<>(codec.type(), codec.schema());
  }
}
