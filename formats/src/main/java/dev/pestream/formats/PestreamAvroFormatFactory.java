package dev.pestream.formats;

import java.util.Set;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

/**
 * {@code 'format' = 'pestream-avro'}: reads PE Stream records in Avro's single-object encoding
 * (the job's default wire format) in Flink SQL. The writer schema is found by the fingerprint in
 * each record's header among the project's record schemas, so one table definition needs no schema
 * option: its columns are matched to the record's fields by name (any subset, any order), Avro
 * enums read as STRING, timestamp-millis as TIMESTAMP(3), arrays as ARRAY, maps as MAP. A record
 * that is not a single-object PE Stream record fails the query with the reason (the topics hold
 * only what the job wrote; skipping would hide a misconfigured table).
 */
public final class PestreamAvroFormatFactory implements DeserializationFormatFactory {
  public static final String IDENTIFIER = "pestream-avro";

  @Override
  public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
      DynamicTableFactory.Context context, ReadableConfig formatOptions) {
    FactoryUtil.validateFactoryOptions(this, formatOptions);
    return new DecodingFormat<>() {
      @Override
      public DeserializationSchema<RowData> createRuntimeDecoder(
          DynamicTableSource.Context sourceContext, DataType producedType) {
        return new SingleObjectRowDataDeserializer((RowType) producedType.getLogicalType(),
            sourceContext.createTypeInformation(producedType));
      }

      @Override
      public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
      }
    };
  }

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of();
  }
}
