package dev.pestream.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.models.runtime.RuntimeOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

class RunCommandHelpTest {

  private static List<String> helpLines() {
    return Arrays.asList(RunCommand.commandLine().getUsageMessage().split("\\R"));
  }

  @Test
  void everySettingIsListedWithARenderedDescription() {
    List<String> lines = helpLines();
    assertThat(lines).noneMatch(l -> l.contains("Description@"));
    List<String> keys = new ArrayList<>(JobConfig.documentedOptions().stream().map(ConfigOption::key).toList());
    keys.addAll(RuntimeOptions.documentedKeys().keySet());
    for (String key : keys) {
      int at = indexOfSetting(lines, key);
      assertThat(at).as("help lists %s", key).isNotNegative();
      assertThat(description(lines, at)).as("description of %s", key).matches(".*\\p{Alpha}.*");
    }
    // wrapped here to picocli's width, so picocli does not re-wrap them without their indent
    assertThat(lines).allMatch(l -> l.length() <= 80);
  }

  @Test
  void defaultsAreShownAsTheyAreWritten() {
    String help = String.join("\n", helpLines());
    assertThat(help).contains("  job.checkpoint-interval (default: 10 s)", "  topics.chunks (default: media.chunks)",
        "  job.group-id (default: pestream-perception)", "  embeddings.modalities (default: audio;video;audio_video)",
        "  models.providers\n      Execution providers", "Default: tensorrt,cuda,cpu.");
  }

  @Test
  void parallelismHasNoInventedDefaultAndSaysWhatHappens() {
    List<String> lines = helpLines();
    int at = indexOfSetting(lines, PerceptionOptions.PARALLELISM.key());
    assertThat(lines.get(at)).isEqualTo("  job.parallelism");
    assertThat(description(lines, at)).contains("Unset: Flink's parallelism.default decides")
        .contains("a local run without it uses one slot per CPU core of the machine.");
  }

  @Test
  void aLocalRunUsesOneSlotPerCoreUnlessParallelismIsSet() {
    StreamExecutionEnvironment unset = RunCommand.environment(JobConfig.of(Map.of()));
    assertThat(unset).isInstanceOf(LocalStreamEnvironment.class);
    assertThat(unset.getParallelism()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(RunCommand.environment(JobConfig.of(Map.of("job.parallelism", "3"))).getParallelism()).isEqualTo(3);
    assertThat(RunCommand.environment(JobConfig.of(Map.of("flink.parallelism.default", "5"))).getParallelism())
        .isEqualTo(5);
  }

  @Test
  void aLocalRunSaysWhereItsWebUiIs() {
    StreamExecutionEnvironment env = RunCommand.environment(JobConfig.of(Map.of()));
    // the command line carries flink-runtime-web (a cluster brings its own): a local run has the web UI
    assertThat(LocalFlink.webUiOnClassPath()).isTrue();
    assertThat(LocalFlink.endpoint(env)).hasValueSatisfying(line ->
        assertThat(line).matches("Flink web UI: http://127\\.0\\.0\\.1:\\d+"));
    StreamExecutionEnvironment fixed = RunCommand.environment(JobConfig.of(Map.of("flink.rest.port", "18081")));
    assertThat(LocalFlink.endpoint(fixed)).hasValueSatisfying(line -> assertThat(line).contains("127.0.0.1:18081"));
  }

  /** The indented lines under a setting's heading, joined. */
  private static String description(List<String> lines, int heading) {
    StringBuilder text = new StringBuilder();
    for (int i = heading + 1; i < lines.size() && lines.get(i).startsWith("      "); i++) {
      text.append(text.length() == 0 ? "" : " ").append(lines.get(i).strip());
    }
    return text.toString();
  }

  private static int indexOfSetting(List<String> lines, String key) {
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.equals("  " + key) || l.startsWith("  " + key + " (default: ")) {
        return i;
      }
    }
    return -1;
  }
}
