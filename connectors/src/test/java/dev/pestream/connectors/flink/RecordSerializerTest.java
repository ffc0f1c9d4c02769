package dev.pestream.connectors.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.codec.RecordCodec;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class RecordSerializerTest {
  private static EventSpan span() {
    return EventSpan.newBuilder().setSpanId("s/p/10").setStreamId("s").setPromptId("p").setPromptText("beep")
        .setStartUs(400_000).setState(SpanState.OPEN).setPeakScore(0.9f).setMeanScore(0.8f).setThreshold(0.3f)
        .setModelId("m").build();
  }

  @Test
  void roundTripsCopiesAndSkipsThroughFlinkViews() throws Exception {
    TypeSerializer<EventSpan> serializer = RecordTypeInfo.forRecord(EventSpan.class).createSerializer(null);
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(span(), out);
    serializer.serialize(span(), out);

    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    DataOutputSerializer copied = new DataOutputSerializer(64);
    serializer.copy(in, copied);
    assertThat(serializer.deserialize(in)).isEqualTo(span());
    assertThat(serializer.deserialize(new DataInputDeserializer(copied.getCopyOfBuffer()))).isEqualTo(span());

    EventSpan copy = serializer.copy(span());
    assertThat(copy).isEqualTo(span()).isNotSameAs(span());
  }

  @Test
  void stateWrittenWithAnOlderSchemaIsReadAfterASchemaChange() throws Exception {
    // The "old" job wrote EventSpan without the later-added modelVersion field.
    Schema current = EventSpan.getClassSchema();
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : current.getFields()) {
      if (!f.name().equals("modelVersion")) {
        fields.add(new Schema.Field(f, f.schema()));
      }
    }
    Schema older = Schema.createRecord(current.getName(), null, current.getNamespace(), false, fields);
    var oldSnapshot = new RecordSerializerSnapshot<>(EventSpan.class, older);

    DataOutputSerializer snapshotBytes = new DataOutputSerializer(256);
    TypeSerializerSnapshot.writeVersionedSnapshot(snapshotBytes, oldSnapshot);
    TypeSerializerSnapshot<EventSpan> restored = TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(snapshotBytes.getCopyOfBuffer()), getClass().getClassLoader());

    var compatibility = RecordTypeInfo.forRecord(EventSpan.class).createSerializer(null)
        .snapshotConfiguration().resolveSchemaCompatibility(restored);
    assertThat(compatibility.isCompatibleWithReconfiguredSerializer()).isTrue();

    // A record the old serializer wrote is readable by the reconfigured one.
    var oldCodec = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
        org.apache.avro.generic.GenericData.get(), older);
    var oldRecord = new org.apache.avro.generic.GenericData.Record(older);
    for (Schema.Field f : older.getFields()) {
      oldRecord.put(f.name(), span().get(f.name()));
    }
    oldRecord.put("state", new org.apache.avro.generic.GenericData.EnumSymbol(older.getField("state").schema(), "OPEN"));
    byte[] encoded = oldCodec.encode(oldRecord).array();
    DataOutputSerializer stateBytes = new DataOutputSerializer(64);
    stateBytes.writeInt(encoded.length);
    stateBytes.write(encoded);

    EventSpan read = compatibility.getReconfiguredSerializer()
        .deserialize(new DataInputDeserializer(stateBytes.getCopyOfBuffer()));
    assertThat(read.getSpanId()).isEqualTo("s/p/10");
    assertThat(read.getModelVersion()).isEmpty();
    assertThat(RecordCodec.of(EventSpan.class).fingerprint()).isNotEqualTo(
        org.apache.avro.SchemaNormalization.parsingFingerprint64(older));
  }
}
