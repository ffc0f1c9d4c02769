package dev.pestream.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

  private static MediaChunk chunk(Object payload) {
    return MediaChunk.newBuilder()
        .setStreamId("cam-1")
        .setSeq(7)
        .setKind(MediaKind.AUDIO_VIDEO)
        .setContainer("mpegts")
        .setAudioCodec("aac")
        .setVideoCodec("h264")
        .setStartUs(7_000_000L)
        .setDurationUs(1_000_000L)
        .setIngestTimeMs(java.time.Instant.ofEpochMilli(1_700_000_000_000L))
        .setPayload(payload)
        .setAttributes(Map.of("site", "north gate"))
        .build();
  }

  @Test
  void roundTripsInlineAndClaimCheckPayloads() throws Exception {
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    MediaChunk inline = chunk(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    MediaChunk blob =
        chunk(BlobRef.newBuilder().setUri("file:///blobs/x").setSha256("ab").setLength(3).build());

    assertThat(codec.decode(codec.encode(inline))).isEqualTo(inline);
    assertThat(codec.decode(codec.encode(blob))).isEqualTo(blob);
  }

  @Test
  void writesSingleObjectHeaderWithSchemaFingerprint() {
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    byte[] bytes = codec.encode(chunk(ByteBuffer.wrap(new byte[0])));

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(RecordCodec.fingerprintOf(bytes)).isEqualTo(codec.fingerprint());
    assertThat(codec.fingerprint()).isNotEqualTo(RecordCodec.of(AlertRule.class).fingerprint());
  }

  @Test
  void newerReaderWithAddedOptionalFieldReadsOldRecords() throws Exception {
    byte[] old = RecordCodec.of(MediaChunk.class).encode(chunk(ByteBuffer.wrap(new byte[] {9})));

    Schema newer = withAddedOptionalField(MediaChunk.getClassSchema(), "cameraModel");
    BinaryMessageDecoder<GenericRecord> newerReader =
        new BinaryMessageDecoder<>(GenericData.get(), newer);
    newerReader.addSchema(MediaChunk.getClassSchema());

    GenericRecord read = newerReader.decode(old);
    assertThat(read.get("streamId").toString()).isEqualTo("cam-1");
    assertThat(read.get("seq")).isEqualTo(7L);
    assertThat(read.get("cameraModel")).isNull();
  }

  @Test
  void currentReaderReadsRecordsOfARegisteredOlderWriterSchema() throws Exception {
    // An "older" writer that lacked the optional discontinuity/attributes fields.
    Schema older = withoutField(withoutField(MediaChunk.getClassSchema(), "discontinuity"), "attributes");
    GenericRecord oldRecord = new GenericData.Record(older);
    MediaChunk template = chunk(ByteBuffer.wrap(new byte[] {4}));
    for (Schema.Field f : older.getFields()) {
      oldRecord.put(f.name(), template.get(f.name()));
    }
    oldRecord.put("kind", new GenericData.EnumSymbol(older.getField("kind").schema(), "AUDIO"));
    oldRecord.put("ingestTimeMs", template.getIngestTimeMs().toEpochMilli());
    byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), older).encode(oldRecord).array();

    RecordCodec<MediaChunk> plain = RecordCodec.of(MediaChunk.class);
    assertThatThrownBy(() -> plain.decode(bytes))
        .isInstanceOf(RecordDecodingException.class)
        .hasMessageContaining("unknown schema fingerprint")
        .satisfies(e -> assertThat(((RecordDecodingException) e).kind())
            .isEqualTo(RecordDecodingException.Kind.UNKNOWN_FINGERPRINT));

    MediaChunk read = plain.withWriterSchema(older).decode(bytes);
    assertThat(read.getStreamId()).isEqualTo("cam-1");
    assertThat(read.getDiscontinuity()).isFalse();
    assertThat(read.getAttributes()).isEmpty();
  }

  @Test
  void rejectsUnknownFingerprintWithClearError() {
    byte[] bytes = RecordCodec.of(AlertRule.class).encode(
        AlertRule.newBuilder().setRuleId("r").setPrompt("siren").setThreshold(0.5f)
            .setUpdatedAtMs(java.time.Instant.EPOCH).build());

    assertThatThrownBy(() -> RecordCodec.of(MediaChunk.class).decode(bytes))
        .isInstanceOf(RecordDecodingException.class)
        .hasMessageContaining("unknown schema fingerprint")
        .hasMessageContaining("MediaChunk");
  }

  @Test
  void rejectsGarbageEmptyTruncatedAndOversizedInputs() {
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    byte[] good = codec.encode(chunk(ByteBuffer.wrap(new byte[100])));

    assertThat(kindOf(codec, new byte[0])).isEqualTo(RecordDecodingException.Kind.EMPTY);
    assertThat(kindOf(codec, "hello world, not avro".getBytes()))
        .isEqualTo(RecordDecodingException.Kind.NOT_SINGLE_OBJECT);
    assertThat(kindOf(codec, Arrays.copyOf(good, good.length - 60)))
        .isEqualTo(RecordDecodingException.Kind.MALFORMED_BODY);
    assertThat(kindOf(codec.withMaxBytes(64), good)).isEqualTo(RecordDecodingException.Kind.TOO_LARGE);
  }

  private static RecordDecodingException.Kind kindOf(RecordCodec<MediaChunk> codec, byte[] bytes) {
    try {
      codec.decode(bytes);
      throw new AssertionError("decoded bytes that should have been rejected");
    } catch (RecordDecodingException e) {
      return e.kind();
    }
  }

  private static Schema withAddedOptionalField(Schema schema, String name) {
    List<Schema.Field> fields = copyFields(schema, null);
    fields.add(new Schema.Field(name,
        Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
        "added by a newer writer", Schema.Field.NULL_DEFAULT_VALUE));
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  private static Schema withoutField(Schema schema, String dropped) {
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false,
        copyFields(schema, dropped));
  }

  private static List<Schema.Field> copyFields(Schema schema, String dropped) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      if (!f.name().equals(dropped)) {
        fields.add(new Schema.Field(f, f.schema()));
      }
    }
    return fields;
  }
}
