package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.models.ContractBundle;
import dev.pestream.operators.decode.DecodeStage;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.flink.FlinkClusterExtension;
import dev.pestream.testing.flink.FlinkProcessCluster;
import dev.pestream.testing.flink.PrometheusScrape;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.Chunks;
import dev.pestream.tests.support.DeployFiles;
import dev.pestream.tests.support.OutputTally;
import dev.pestream.tests.support.PacedSender;
import dev.pestream.tests.support.ShortChunkStreams;
import dev.pestream.tests.support.ShortChunkStreams.Plan;
import dev.pestream.tests.support.cluster.PerceptionJobSubmission;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim-check blob store goes away for 20 s while claim-checked chunks keep arriving, then
 * comes back: the perception job (its jar on the multi-process cluster, two TaskManagers,
 * parallelism 2, checkpoints every 1 s, the cluster's fixed-delay restart strategy) rides it out.
 * The decode stage retries each read for {@code blob.retry-timeout} (10 s here), then fails the
 * task; the job restarts from its last checkpoint and tries again until the store is back. The
 * read_committed embeddings are then every expected one exactly once, no chunk of those streams
 * is dead-lettered, and a tampered blob (hash mismatch) sent during the outage is still
 * dead-lettered, once.
 *
 * <p>The outage is the blob root folder renamed away and back. Tests run as root, for whom {@code
 * chmod} does not make a folder unreadable; a rename is what an unmounted share or a moved bucket
 * prefix looks like to a reader (the root and every blob under it are gone), and it is instant and
 * exactly reversible.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BlobStoreOutageITCase {
  private static final int STREAMS = 6;
  private static final int VIDEO_STREAMS = 1;
  private static final int CHUNKS_PER_STREAM = 150;
  private static final int CHUNKS_PER_SECOND = 30;
  private static final Duration OUTAGE = Duration.ofSeconds(20);
  private static final Duration RETRY_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration OUTPUTS = Duration.ofSeconds(90);
  private static final String TAMPERED_STREAM = "tampered-00";
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);
  private static final String DECODE = PrometheusScrape.labelValue("decode media");

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(2)
      .slotsPerTaskManager(1)
      .config(DeployFiles.flinkConfig("flink-metrics-prometheus.yaml")));

  @Test
  void claimCheckedChunksSurviveAStoreOutageExactlyOnce(FlinkProcessCluster cluster, KafkaTestClient kafka,
      @TempDir Path scratch) throws Exception {
    long seed = Long.getLong("pestream.faults.seed", new Random().nextLong());
    Path root = Files.createDirectories(scratch.resolve("blobs"));
    Path away = scratch.resolve("blobs-away");
    BlobStore store = new BlobStore(root.toUri());
    ShortChunkStreams media = new ShortChunkStreams(Files.createDirectories(scratch.resolve("media")));
    List<Plan> plans = ShortChunkStreams.plans(seed, STREAMS, VIDEO_STREAMS, CHUNKS_PER_STREAM, 25);
    List<MediaChunk> feed = new ArrayList<>();
    for (MediaChunk chunk : media.interleaved(plans, new Random(seed))) {
      feed.add(claimChecked(store, chunk));
    }
    // sent in the middle of the outage, its read waits for the store like the others, then fails the hash check
    feed.add(feed.size() / 2, tampered(store, media.chunk(TAMPERED_STREAM, false, 0, false, 0)));

    Map<String, String> topics = kafka.newJobTopics("blob-", 2);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> settings = new LinkedHashMap<>(ShortChunkStreams.jobSettings(null));
    settings.putAll(topics);
    settings.put("job.group-id", "blob-" + suffix);
    settings.put("kafka.transactional-id-prefix", "blob-" + suffix);
    settings.put("job.checkpoint-interval", "1 s");
    settings.put("blob.root", root.toUri().toString());
    settings.put("blob.retry-timeout", RETRY_TIMEOUT.toSeconds() + " s");
    String jarId = cluster.rest().uploadJar(PerceptionJobSubmission.jobJar());
    String jobId = new PerceptionJobSubmission(jarId, kafka.bootstrapServers(), settings)
        .submit(cluster.rest(), ContractBundle.materialize(scratch.resolve("bundle")), 2, null, JOB_START);
    System.out.printf("[blob-outage] seed %d: %d claim-checked chunks at %d/s, store away for %d s after %d s,"
        + " blob.retry-timeout %d s%n", seed, feed.size(), CHUNKS_PER_SECOND, OUTAGE.toSeconds(),
        feed.size() / CHUNKS_PER_SECOND / 5, RETRY_TIMEOUT.toSeconds());

    MetricHighWater metrics = new MetricHighWater(cluster, jobId);
    long started = System.nanoTime();
    try (PacedSender sender = new PacedSender(kafka, topics.get("topics.chunks"), Chunks.keyValues(feed),
        CHUNKS_PER_SECOND)) {
      while (sender.sent() < feed.size() / 5) {
        Thread.sleep(100);
      }
      Files.move(root, away);
      long outageEnds = System.nanoTime() + OUTAGE.toNanos();
      while (System.nanoTime() < outageEnds) {
        metrics.scrape();
        Thread.sleep(500);
      }
      Files.move(away, root);
      System.out.printf("[blob-outage] store back after %.1f s away; %d of %d chunks sent%n", OUTAGE.toNanos() / 1e9,
          sender.sent(), feed.size());
      sender.awaitAllSent(Duration.ofSeconds(60));
    }

    List<Embedding> embeddings = kafka.readCommittedRecords(topics.get("topics.embeddings"),
        RecordCodec.of(Embedding.class), ShortChunkStreams.expectedEmbeddings(plans).size(), Duration.ofSeconds(3),
        OUTPUTS);
    metrics.scrape();
    double seconds = (System.nanoTime() - started) / 1e9;
    List<DeadLetter> letters = kafka.readCommittedRecords(topics.get("topics.dead-letters"), DEAD_LETTERS, 1,
        Duration.ofSeconds(3), Duration.ofSeconds(20));
    OutputTally tally = OutputTally.of("embeddings", ShortChunkStreams.expectedEmbeddings(plans), embeddings,
        OutputTally::key);
    long restarts = cluster.rest().failovers(jobId);
    long otherLetters = letters.stream().filter(l -> !TAMPERED_STREAM.equals(l.getStreamId())).count();
    System.out.printf("[blob-outage] %s; dead-lettered %d of the streams' chunks; tampered blob dead-lettered"
        + " %d time(s) as %s%n", tally, otherLetters, letters.size() - otherLetters,
        letters.stream().map(DeadLetter::getErrorClass).distinct().toList());
    System.out.printf("[blob-outage] %.1f s from first chunk to last embedding; %d restarts; blob read retries"
        + " seen %d, wait %d ms, reads past the budget seen %d (metrics restart with each task attempt: lower"
        + " bounds)%n", seconds, restarts, metrics.sum(DecodeStage.METRIC_BLOB_READ_RETRIES),
        metrics.sum(DecodeStage.METRIC_BLOB_WAIT_MILLIS), metrics.sum(DecodeStage.METRIC_BLOB_READS_EXHAUSTED));
    cluster.rest().cancel(jobId, JOB_START);

    assertThat(tally.exactlyOnce()).as(tally.toString()).isTrue();
    assertThat(restarts).as("restarts: a read past the budget fails the task").isPositive();
    assertThat(otherLetters).as("dead letters of the streams' chunks").isZero();
    assertThat(letters).singleElement().satisfies(l -> {
      assertThat(l.getStreamId()).isEqualTo(TAMPERED_STREAM);
      assertThat(l.getErrorClass()).isEqualTo("BLOB_HASH_MISMATCH");
    });
    assertThat(metrics.sum(DecodeStage.METRIC_BLOB_READ_RETRIES)).as("blob read retries").isPositive();
  }

  /** {@code chunk} (a fresh one) with its payload moved to the blob store. */
  private static MediaChunk claimChecked(BlobStore store, MediaChunk chunk) throws Exception {
    ByteBuffer inline = (ByteBuffer) chunk.getPayload();
    byte[] bytes = new byte[inline.remaining()];
    inline.duplicate().get(bytes);
    chunk.setPayload(store.put(chunk.getStreamId(), bytes));
    return chunk;
  }

  /** {@code chunk} claim-checked, its blob then changed behind the record's back (same length, one bit). */
  private static MediaChunk tampered(BlobStore store, MediaChunk chunk) throws Exception {
    MediaChunk checked = claimChecked(store, chunk);
    Path blob = Path.of(URI.create(((BlobRef) checked.getPayload()).getUri()));
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 1;
    Files.write(blob, bytes);
    return checked;
  }

  /**
   * The decode stage's blob counters, summed over subtasks. A restart starts them again from zero
   * (new task attempts), so each series (one per attempt) is kept at the highest value scraped.
   */
  private static final class MetricHighWater {
    private final FlinkProcessCluster cluster;
    private final String jobId;
    private final Map<String, Double> highest = new HashMap<>();

    MetricHighWater(FlinkProcessCluster cluster, String jobId) {
      this.cluster = cluster;
      this.jobId = jobId;
    }

    void scrape() {
      for (PrometheusScrape.Sample s : PrometheusScrape.of(cluster.metricsEndpoints()).samples()) {
        if (jobId.equals(s.labels().get("job_id")) && DECODE.equals(s.labels().get("operator_name"))) {
          highest.merge(s.name() + s.labels(), s.value(), Math::max);
        }
      }
    }

    long sum(String metric) {
      String name = "flink_taskmanager_job_task_operator_" + metric;
      return Math.round(highest.entrySet().stream().filter(e -> e.getKey().startsWith(name + "{"))
          .mapToDouble(Map.Entry::getValue).sum());
    }
  }

}
