package dev.pestream.tests.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.connectors.plm.SecretSource;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.RegistrySettings;
import dev.pestream.connectors.registry.SubjectNaming;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.schemas.codec.RecordDecodingException;
import dev.pestream.schemas.codec.RecordDecodingException.Kind;
import dev.pestream.testing.registry.SchemaRegistryServer;
import dev.pestream.tests.support.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.io.TempDir;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both wire formats through {@link WireCodec} against a real registry server on a random port:
 * framing, reading either format whatever the setting, subject naming, auto-registration, schema
 * evolution, auth, and the failures that must become dead letters instead of crashes.
 */
class WireCodecTest {
  private static SchemaRegistryServer registry;

  @BeforeAll
  static void startRegistry() {
    registry = SchemaRegistryServer.start();
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void registryFormatIsMagicByteSchemaIdAndAvroBodyAndReadsBack() throws Exception {
    WireCodec<EventSpan> codec = registryFormat(RegistrySettings.of(registry.url())).codec(EventSpan.class);
    EventSpan span = span("cam-1");

    byte[] bytes = codec.encode("spans-a", span);

    assertThat(bytes[0]).isZero();
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertThat(id).isPositive();
    assertThat(registry.subjects()).contains("spans-a-value");
    assertThat(codec.decode(bytes)).isEqualTo(span);
    // a copy shipped to a task (serialized, caches empty) reads it too
    assertThat(InstantiationUtil.clone(codec).decode(bytes)).isEqualTo(span);
  }

  @Test
  void readersAcceptBothFormatsWhateverTheSetting() throws Exception {
    RegistrySettings settings = RegistrySettings.of(registry.url());
    byte[] singleObject = RecordCodec.of(EventSpan.class).encode(span("cam-2"));
    byte[] registryFramed = registryFormat(settings).codec(EventSpan.class).encode("spans-b", span("cam-3"));

    WireCodec<EventSpan> writesSingleObject =
        new RecordFormat(dev.pestream.connectors.registry.WireFormat.SINGLE_OBJECT, settings).codec(EventSpan.class);
    WireCodec<EventSpan> writesRegistry = registryFormat(settings).codec(EventSpan.class);
    for (WireCodec<EventSpan> reader : List.of(writesSingleObject, writesRegistry)) {
      assertThat(reader.decode(singleObject).getStreamId()).isEqualTo("cam-2");
      assertThat(reader.decode(registryFramed).getStreamId()).isEqualTo("cam-3");
    }
    assertThat(singleObject[0]).isEqualTo((byte) 0xC3);
  }

  @Test
  void recordNameSubjectsAndTheSameIdForTheSameSchema() throws Exception {
    RegistrySettings byRecord = RegistrySettings.of(registry.url()).withSubjectNaming(SubjectNaming.RECORD_NAME);
    byte[] one = registryFormat(byRecord).codec(EventSpan.class).encode("spans-c", span("a"));
    byte[] other = registryFormat(RegistrySettings.of(registry.url())).codec(EventSpan.class).encode("spans-d", span("b"));

    assertThat(registry.subjects()).contains("dev.pestream.schemas.EventSpan").doesNotContain("spans-c-value");
    assertThat(ByteBuffer.wrap(one, 1, 4).getInt()).isEqualTo(ByteBuffer.wrap(other, 1, 4).getInt());
  }

  @Test
  void withoutAutoRegistrationAnUnregisteredSubjectIsAClearError() {
    WireCodec<EventSpan> codec =
        registryFormat(RegistrySettings.of(registry.url()).withAutoRegister(false)).codec(EventSpan.class);

    assertThatThrownBy(() -> codec.prepareWrite("never-registered"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("never-registered-value")
        .hasMessageContaining("records.registry.auto-register is off");
  }

  @Test
  void aNewerReaderReadsRecordsWrittenWithTheOlderSchema() throws Exception {
    Schema current = EventSpan.getClassSchema();
    Schema older = withoutField(current, "modelVersion");
    WireCodec<EventSpan> registering = registryFormat(RegistrySettings.of(registry.url())).codec(EventSpan.class);
    registering.prepareWrite("spans-e");
    int olderId = registerDirectly("spans-e-value", older);

    GenericRecord old = new GenericData.Record(older);
    EventSpan span = span("old-writer");
    for (Schema.Field field : older.getFields()) {
      old.put(field.name(), span.get(field.name()));
    }
    old.put("state", new GenericData.EnumSymbol(older.getField("state").schema(), "CLOSED"));
    byte[] bytes = frame(olderId, older, old);

    EventSpan read = registering.decode(bytes);
    assertThat(read.getStreamId()).isEqualTo("old-writer");
    assertThat(read.getModelVersion()).isEqualTo(""); // the added field's default
  }

  @Test
  void unknownSchemaIdUnreachableOrMissingRegistryAreDecodingErrors() throws Exception {
    byte[] unknownId = frame(999_999, EventSpan.getClassSchema(), span("x"));
    assertKind(registryFormat(RegistrySettings.of(registry.url())).codec(EventSpan.class), unknownId,
        Kind.UNKNOWN_SCHEMA_ID, "999999");

    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    assertKind(registryFormat(RegistrySettings.of("http://127.0.0.1:" + closedPort)).codec(EventSpan.class),
        unknownId, Kind.REGISTRY_UNAVAILABLE, "unreachable");

    assertKind(WireCodec.singleObject(RecordCodec.of(EventSpan.class)), unknownId,
        Kind.REGISTRY_UNAVAILABLE, "records.registry.url");

    assertKind(registryFormat(RegistrySettings.of(registry.url())).codec(EventSpan.class), new byte[] {0, 0, 1},
        Kind.MALFORMED_BODY, "5-byte header");
  }

  @Test
  void aSchemaIdOfAnotherRecordTypeIsRefused() throws Exception {
    WireCodec<dev.pestream.schemas.Alert> alerts =
        registryFormat(RegistrySettings.of(registry.url())).codec(dev.pestream.schemas.Alert.class);
    byte[] spanBytes = registryFormat(RegistrySettings.of(registry.url())).codec(EventSpan.class)
        .encode("spans-f", span("y"));

    assertKind(alerts, spanBytes, Kind.INCOMPATIBLE_SCHEMA, "not a version of dev.pestream.schemas.Alert");
  }

  @Test
  void basicAuthIsSentAndRefusalIsReported() throws Exception {
    try (SchemaRegistryServer secured = SchemaRegistryServer.start("reader:s3cret")) {
      java.nio.file.Path secret = java.nio.file.Files.createTempFile("registry", ".secret");
      try {
        java.nio.file.Files.writeString(secret, "reader:s3cret\n");
        WireCodec<EventSpan> codec = registryFormat(RegistrySettings.of(secured.url()).withBasicAuth(SecretSource.file(secret))).codec(EventSpan.class);
        assertThat(codec.decode(codec.encode("spans-g", span("z"))).getStreamId()).isEqualTo("z");
      } finally {
        java.nio.file.Files.delete(secret);
      }

      WireCodec<EventSpan> anonymous = registryFormat(RegistrySettings.of(secured.url())).codec(EventSpan.class);
      assertThatThrownBy(() -> anonymous.prepareWrite("spans-g"))
          .hasMessageContaining("HTTP 401")
          .hasMessageContaining("records.registry.basic-auth");
    }
  }

  @Test
  void aBearerTokenFromAFileIsSent(@TempDir Path dir) throws Exception {
    try (SchemaRegistryServer secured = SchemaRegistryServer.startRequiringBearer("t0ken")) {
      Path token = Files.writeString(dir.resolve("registry.token"), "t0ken\n");
      RegistrySettings settings = RegistrySettings.from(Configuration.fromMap(Map.of(
          "records.registry.url", secured.url(), "records.registry.bearer-token", "file:" + token))).orElseThrow();
      WireCodec<EventSpan> codec = registryFormat(settings).codec(EventSpan.class);
      assertThat(codec.decode(codec.encode("spans-i", span("bearer"))).getStreamId()).isEqualTo("bearer");
    }
  }

  @Test
  void anHttpsRegistryIsTrustedThroughTheConfiguredTrustStoreOnly(@TempDir Path pki) throws Exception {
    TestPki ca = TestPki.create(pki, "registry-ca");
    TestPki.Store serverKeys = ca.issue("registry");
    try (SchemaRegistryServer https = SchemaRegistryServer.startHttps(serverKeys.path(), serverKeys.password())) {
      Path password = Files.writeString(pki.resolve("truststore.password"), ca.truststore().password());
      RegistrySettings trusting = RegistrySettings.from(Configuration.fromMap(Map.of(
          "records.registry.url", https.url(),
          "records.registry.trust-store", ca.truststore().path().toString(),
          "records.registry.trust-store-password", "file:" + password))).orElseThrow();
      WireCodec<EventSpan> codec = registryFormat(trusting).codec(EventSpan.class);
      assertThat(codec.decode(codec.encode("spans-h", span("tls"))).getStreamId()).isEqualTo("tls");

      WireCodec<EventSpan> defaultTrust = registryFormat(RegistrySettings.of(https.url())).codec(EventSpan.class);
      assertThatThrownBy(() -> defaultTrust.prepareWrite("spans-h"))
          .hasMessageContaining("TLS not trusted")
          .hasMessageContaining("SSLHandshakeException");
    }
  }

  private static RecordFormat registryFormat(RegistrySettings settings) {
    return RecordFormat.registry(settings);
  }

  private static void assertKind(WireCodec<?> codec, byte[] bytes, Kind kind, String messagePart) {
    assertThatThrownBy(() -> codec.decode(bytes))
        .isInstanceOfSatisfying(RecordDecodingException.class, e -> assertThat(e.kind()).isEqualTo(kind))
        .hasMessageContaining(messagePart);
  }

  private static int registerDirectly(String subject, Schema schema) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of("schema", schema.toString()));
    var response = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(registry.url() + "/subjects/" + subject + "/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).get("id").asInt();
  }

  private static Schema withoutField(Schema schema, String dropped) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      if (!f.name().equals(dropped)) {
        fields.add(new Schema.Field(f, f.schema()));
      }
    }
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  private static byte[] frame(int id, Schema schema, Object record) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<Object>(schema, org.apache.avro.specific.SpecificData.get()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static EventSpan span(String streamId) {
    return EventSpan.newBuilder().setSpanId(streamId + "/beep/1").setStreamId(streamId).setPromptId("beep")
        .setPromptText("beep").setStartUs(1_000_000L).setEndUs(2_000_000L).setState(SpanState.CLOSED)
        .setPeakScore(0.9f).setMeanScore(0.7f).setThreshold(0.3f).setModelId("contract").setModelVersion("1")
        .build();
  }
}
