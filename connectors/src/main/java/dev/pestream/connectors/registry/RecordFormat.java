package dev.pestream.connectors.registry;

import dev.pestream.schemas.codec.RecordCodec;
import java.io.Serializable;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The framing records are written in, and the registry (if any) used to write and to read the
 * registry format. Built from {@link RecordFormatOptions}; validated on construction.
 *
 * @param registry null when no {@code records.registry.url} is set (registry-format inputs are then
 *     dead-lettered with {@code REGISTRY_UNAVAILABLE})
 */
public record RecordFormat(WireFormat writes, RegistrySettings registry) implements Serializable {
  public RecordFormat {
    if (writes == null) {
      throw new IllegalArgumentException("a wire format is required");
    }
    if (writes == WireFormat.REGISTRY && registry == null) {
      throw new IllegalArgumentException(RecordFormatOptions.WIRE_FORMAT.key() + "=registry needs "
          + RecordFormatOptions.REGISTRY_URL.key() + " (pestream ingest: --registry-url)");
    }
  }

  /** Single-object encoding, no registry: the default. */
  public static RecordFormat singleObject() {
    return new RecordFormat(WireFormat.SINGLE_OBJECT, null);
  }

  public static RecordFormat registry(RegistrySettings registry) {
    return new RecordFormat(WireFormat.REGISTRY, registry);
  }

  public static RecordFormat from(ReadableConfig config) {
    return new RecordFormat(WireFormat.parse(config.get(RecordFormatOptions.WIRE_FORMAT)),
        RegistrySettings.from(config).orElse(null));
  }

  /** A codec writing {@code codec}'s record type in this format and reading both formats. */
  public <T extends SpecificRecord> WireCodec<T> codec(RecordCodec<T> codec) {
    return new WireCodec<>(codec, this);
  }

  public <T extends SpecificRecord> WireCodec<T> codec(Class<T> type) {
    return codec(RecordCodec.of(type));
  }
}
