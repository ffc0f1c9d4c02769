package dev.pestream.tests.support.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.jobs.run.JobLauncher;
import dev.pestream.testing.flink.FlinkRestClient;
import dev.pestream.testing.flink.FlinkRestClient.JarRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The perception job from an uploaded job jar, started over REST as {@code flink run} would start
 * it: {@code JobLauncher}'s main with {@code --bootstrap}, {@code --models} and {@code -D}
 * settings. Tests that restart a job (after a savepoint, with another bundle) keep {@code
 * job.group-id} and {@code kafka.transactional-id-prefix} in the settings they pass each time.
 */
public final class PerceptionJobSubmission {
  /**
   * Name of the operator at the head of the keyed part of the job: every chunk enters its vertex
   * once ({@code FlinkRestClient.vertexRecordsIn}), so summed over the runs of a restarted job it
   * shows whether a restore lost or re-read input.
   */
  public static final String SEQUENCER = "order and dedupe chunks";

  private final String jarId;
  private final String bootstrapServers;
  private final Map<String, String> settings;

  /** @param settings job settings ({@code -D key=value}), topics, group id and transactional id prefix included */
  public PerceptionJobSubmission(String jarId, String bootstrapServers, Map<String, String> settings) {
    this.jarId = jarId;
    this.bootstrapServers = bootstrapServers;
    this.settings = new LinkedHashMap<>(settings);
  }

  /** The job jar built by jobs/, as the tests module's failsafe configuration names it. */
  public static Path jobJar() {
    Path jar = Path.of(System.getProperty("pestream.cluster.job-jar", "missing: run through Maven"));
    assertThat(jar).as("job jar built by jobs/ (mvn -pl tests -am verify)").isRegularFile();
    return jar;
  }

  /** Program arguments of a run on {@code bundle}. */
  public List<String> args(Path bundle) {
    List<String> args = new ArrayList<>(List.of("--bootstrap", bootstrapServers, "--models", bundle.toString()));
    settings.forEach((key, value) -> args.add("-D" + key + "=" + value));
    return args;
  }

  /**
   * Runs the job on {@code bundle} (restoring {@code savepoint} unless null) at {@code parallelism}
   * and waits until all its tasks run; returns the job id.
   */
  public String submit(FlinkRestClient rest, Path bundle, int parallelism, String savepoint, Duration startTimeout) {
    String jobId = rest.runJar(jarId, new JarRun(JobLauncher.class.getName(), args(bundle), parallelism, savepoint));
    rest.awaitAllTasksRunning(jobId, startTimeout);
    return jobId;
  }
}
