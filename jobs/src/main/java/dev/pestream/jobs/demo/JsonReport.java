package dev.pestream.jobs.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Writes every record of every output topic as Avro's JSON encoding, grouped by topic, so the
 * results can be checked without a Kafka client.
 */
public final class JsonReport {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonReport() {}

  public static void write(Path file, Map<String, Object> about, Map<String, String> topicByRole,
      Map<String, List<SpecificRecordBase>> recordsByRole) throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    root.set("about", MAPPER.valueToTree(about));
    ObjectNode topics = root.putObject("topics");
    for (Map.Entry<String, List<SpecificRecordBase>> e : recordsByRole.entrySet()) {
      ObjectNode topic = topics.putObject(e.getKey());
      topic.put("topic", topicByRole.get(e.getKey()));
      topic.put("count", e.getValue().size());
      ArrayNode list = topic.putArray("records");
      for (SpecificRecordBase record : e.getValue()) {
        list.add(MAPPER.readTree(toAvroJson(record)));
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    MAPPER.writeValue(file.toFile(), root);
  }

  /** Avro's JSON encoding of one record (unions tagged with their branch, bytes as ISO-8859-1 text). */
  public static String toAvroJson(SpecificRecordBase record) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JsonEncoder encoder = EncoderFactory.get().jsonEncoder(record.getSchema(), bytes);
    @SuppressWarnings("unchecked")
    SpecificDatumWriter<SpecificRecordBase> writer =
        new SpecificDatumWriter<>((Class<SpecificRecordBase>) record.getClass());
    writer.write(record, encoder);
    encoder.flush();
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
