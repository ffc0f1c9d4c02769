package dev.pestream.jobs.run;

import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.JobListener;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What {@code pestream run} prints while the job runs: a line when it is submitted, then one status
 * line per interval. The figures come from Kafka offsets (an Admin client), not from Flink, so they
 * work the same for a local MiniCluster and a cluster. Offsets count transaction markers too, so
 * exactly-once topics read a little high: fine for a status line.
 */
public final class RunStatus implements AutoCloseable {
  public static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(5);

  /**
   * One status line's numbers.
   *
   * @param chunksIn chunks the consumer group committed since the run started (Flink commits at checkpoints)
   * @param lag chunks in the chunk topic the group has not committed yet
   * @param recordsOut per output topic, records written since the run started
   * @param deadLetters dead letters written since the run started
   */
  public record Figures(long chunksIn, long lag, Map<String, Long> recordsOut, long deadLetters) {}

  private final PrintStream out;
  private final Admin admin;
  private final String group;
  private final String chunks;
  private final List<String> outputs;
  private final String deadLetters;
  private final ScheduledExecutorService timer;
  private final long startNanos = System.nanoTime();
  private Offsets baseline;

  /** Offsets of one sample: the group's position on the chunk topic and every topic's end offsets. */
  private record Offsets(Map<TopicPartition, Long> positions, Map<TopicPartition, Long> ends) {}

  RunStatus(JobConfig config, PrintStream out, Duration interval) {
    Configuration c = config.flink();
    this.out = out;
    this.group = c.get(PerceptionOptions.GROUP_ID);
    this.chunks = c.get(PerceptionOptions.TOPIC_CHUNKS);
    this.outputs = List.of(c.get(PerceptionOptions.TOPIC_EMBEDDINGS), c.get(PerceptionOptions.TOPIC_SPANS),
        c.get(PerceptionOptions.TOPIC_ALERTS), c.get(PerceptionOptions.TOPIC_TAGS),
        c.get(PerceptionOptions.TOPIC_CAPTIONS));
    this.deadLetters = c.get(PerceptionOptions.TOPIC_DEAD_LETTERS);
    Properties props = config.kafkaClientProperties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.get(KafkaOptions.BOOTSTRAP_SERVERS));
    this.admin = Admin.create(props);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pestream-run-status");
      t.setDaemon(true); // never keeps the JVM alive after the job
      return t;
    });
    out.println("Status every " + interval.toSeconds() + " s from Kafka offsets, counted since now; lag = chunks"
        + " not yet committed by consumer group " + group + " (Flink commits at checkpoints).");
    timer.execute(this::takeBaseline);
    timer.scheduleWithFixedDelay(this::print, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Prints a status line to {@code out} every {@link #INTERVAL} until closed. */
  public static RunStatus start(JobConfig config, PrintStream out) {
    return new RunStatus(config, out, INTERVAL);
  }

  /** Prints the job id once Flink has it, and where a local run's endpoint answers. */
  public static JobListener announcer(PrintStream out, String jobName, Optional<String> localEndpoint) {
    return new JobListener() {
      @Override
      public void onJobSubmitted(JobClient client, Throwable failure) {
        if (client != null) {
          out.println("Job '" + jobName + "' is running, id " + client.getJobID() + ".");
          localEndpoint.ifPresent(out::println);
        }
      }

      @Override
      public void onJobExecuted(JobExecutionResult result, Throwable failure) {}
    };
  }

  /** The status line, e.g. {@code [0:01:20] chunks in 1200 (lag 40) | out: embeddings 300, spans 2 | dead letters 0}. */
  public static String format(Duration elapsed, Figures f) {
    String out = f.recordsOut().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", "));
    return String.format("%s chunks in %d (lag %d) | out: %s | dead letters %d",
        clock(elapsed), f.chunksIn(), f.lag(), out, f.deadLetters());
  }

  private static String clock(Duration elapsed) {
    long s = elapsed.toSeconds();
    return String.format("[%d:%02d:%02d]", s / 3600, s / 60 % 60, s % 60);
  }

  /** The figures between two samples; partitions new since {@code from} count from 0. */
  private Figures figures(Offsets from, Offsets now) {
    Map<String, Long> recordsOut = new LinkedHashMap<>();
    outputs.forEach(topic -> recordsOut.put(topic, growth(from.ends(), now.ends(), topic)));
    long lag = now.positions().entrySet().stream()
        .mapToLong(p -> now.ends().getOrDefault(p.getKey(), p.getValue()) - p.getValue()).sum();
    return new Figures(growth(from.positions(), now.positions(), chunks), Math.max(0, lag), recordsOut,
        growth(from.ends(), now.ends(), deadLetters));
  }

  private static long growth(Map<TopicPartition, Long> from, Map<TopicPartition, Long> now, String topic) {
    return now.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
        .mapToLong(e -> e.getValue() - from.getOrDefault(e.getKey(), 0L)).sum();
  }

  private void takeBaseline() {
    try {
      baseline = sample();
    } catch (Exception e) {
      // Kafka not answering yet: the first status line retries
    }
  }

  private void print() {
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    try {
      Offsets now = sample();
      if (baseline == null) {
        baseline = now;
      }
      out.println(format(elapsed, figures(baseline, now)));
    } catch (Exception e) {
      out.println(clock(elapsed) + " status unavailable: Kafka did not answer (" + e.getClass().getSimpleName()
          + ": " + e.getMessage() + ")");
    }
  }

  private Offsets sample() throws Exception {
    List<String> topics = new ArrayList<>(outputs);
    topics.add(chunks);
    topics.add(deadLetters);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    admin.describeTopics(topics).allTopicNames().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .forEach((name, description) -> description.partitions()
            .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    Map<TopicPartition, Long> ends = offsets(latest);
    // a partition without a committed offset is read from its start (the sources begin at earliest)
    Map<TopicPartition, OffsetSpec> earliest = latest.keySet().stream().filter(tp -> tp.topic().equals(chunks))
        .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.earliest()));
    Map<TopicPartition, Long> positions = offsets(earliest);
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    committed.forEach((tp, offset) -> {
      if (offset != null && positions.containsKey(tp)) {
        positions.put(tp, offset.offset());
      }
    });
    return new Offsets(positions, ends);
  }

  private Map<TopicPartition, Long> offsets(Map<TopicPartition, OffsetSpec> specs) throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    admin.listOffsets(specs).all().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .forEach((tp, info) -> offsets.put(tp, info.offset()));
    return offsets;
  }

  /** Stops the status lines and closes the Admin client before returning. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    admin.close(KAFKA_TIMEOUT);
  }
}
