package dev.pestream.testing.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusScrapeTest {
  @Test
  void parsesSamplesWithAndWithoutLabels() {
    List<PrometheusScrape.Sample> samples = PrometheusScrape.parse(String.join("\n",
        "# HELP flink_taskmanager_job_task_operator_recordsParsed recordsParsed (scope: taskmanager_job_task_operator)",
        "# TYPE flink_taskmanager_job_task_operator_recordsParsed gauge",
        "flink_taskmanager_job_task_operator_recordsParsed{job_id=\"ab12\",operator_name=\"parse_chunks\",subtask_index=\"0\",} 120.0",
        "flink_taskmanager_job_task_operator_recordsParsed{job_id=\"ab12\",operator_name=\"parse_chunks\",subtask_index=\"1\",} 80.0",
        "flink_jobmanager_numRegisteredTaskManagers{host=\"localhost\",} 2.0",
        "odd_metric{path=\"C:\\\\x \\\"quoted\\\"\"} +Inf",
        "plain_metric 3.5 1700000000000",
        ""));

    assertThat(samples).hasSize(5);
    assertThat(samples.get(0).labels()).containsEntry("operator_name", "parse_chunks").containsEntry("subtask_index", "0");
    assertThat(samples.get(3).labels()).containsEntry("path", "C:\\x \"quoted\"");
    assertThat(samples.get(3).value()).isInfinite();
    assertThat(samples.get(4)).isEqualTo(new PrometheusScrape.Sample("plain_metric", Map.of(), 3.5));
  }

  @Test
  void labelValuesAreFilteredLikeFlinksReporter() {
    assertThat(PrometheusScrape.labelValue("parse chunks")).isEqualTo("parse_chunks");
    assertThat(PrometheusScrape.labelValue("copy-chunks a -> b")).isEqualTo("copy_chunks_a____b");
  }
}
