package dev.pestream.connectors.registry;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * How the job and {@code pestream ingest} frame Avro records on every topic they write. Readers
 * accept both framings whatever {@link #WIRE_FORMAT} says, so a topic can migrate record by record.
 */
public final class RecordFormatOptions {
  private RecordFormatOptions() {}

  public static final ConfigOption<String> WIRE_FORMAT =
      ConfigOptions.key("records.wire-format")
          .stringType()
          .defaultValue(WireFormat.SINGLE_OBJECT.value())
          .withDescription(
              "Framing of the Avro records written: 'single-object' (Avro's single-object encoding, no"
                  + " registry needed) or 'registry' (Confluent's schema-registry wire format: magic byte 0 +"
                  + " 4-byte schema id, readable by Kafka Connect's AvroConverter, Flink SQL's avro-confluent"
                  + " format and the confluent-kafka clients; needs records.registry.url). Inputs accept both.");

  public static final ConfigOption<String> REGISTRY_URL =
      ConfigOptions.key("records.registry.url")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Base URL of a Confluent-compatible schema registry (Confluent Schema Registry, Apicurio's"
                  + " /apis/ccompat/v7, Karapace). Needed to write the registry format and to read records in it.");

  public static final ConfigOption<String> REGISTRY_BASIC_AUTH =
      ConfigOptions.key("records.registry.basic-auth")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Where the registry's 'user:password' comes from: env:VARIABLE or file:/path (never the value itself).");

  public static final ConfigOption<String> REGISTRY_BEARER_TOKEN =
      ConfigOptions.key("records.registry.bearer-token")
          .stringType()
          .noDefaultValue()
          .withDescription("Where the registry's bearer token comes from: env:VARIABLE or file:/path.");

  public static final ConfigOption<String> REGISTRY_TRUST_STORE =
      ConfigOptions.key("records.registry.trust-store")
          .stringType()
          .noDefaultValue()
          .withDescription("Trust store (PKCS12 or JKS) with the CA of an https registry; the JVM's default trust otherwise.");

  public static final ConfigOption<String> REGISTRY_TRUST_STORE_TYPE =
      ConfigOptions.key("records.registry.trust-store-type")
          .stringType()
          .defaultValue("PKCS12")
          .withDescription("Type of records.registry.trust-store: PKCS12 or JKS.");

  public static final ConfigOption<String> REGISTRY_TRUST_STORE_PASSWORD =
      ConfigOptions.key("records.registry.trust-store-password")
          .stringType()
          .noDefaultValue()
          .withDescription("Where the trust store's password comes from: env:VARIABLE or file:/path.");

  public static final ConfigOption<String> SUBJECT_NAMING =
      ConfigOptions.key("records.registry.subject-naming")
          .stringType()
          .defaultValue(SubjectNaming.TOPIC_NAME.value())
          .withDescription(
              "Registry subject of a topic's schema: 'topic-name' (<topic>-value, Confluent's default) or"
                  + " 'record-name' (the record's full name, e.g. dev.pestream.schemas.EventSpan).");

  public static final ConfigOption<Boolean> AUTO_REGISTER =
      ConfigOptions.key("records.registry.auto-register")
          .booleanType()
          .defaultValue(true)
          .withDescription(
              "Register the record schemas the job writes under their subjects. Off: the schemas must"
                  + " already be registered (by whoever governs the registry), or writing fails with a clear error.");

  public static final ConfigOption<Duration> REGISTRY_TIMEOUT =
      ConfigOptions.key("records.registry.timeout")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription("Connect and request timeout of registry calls.");
}
