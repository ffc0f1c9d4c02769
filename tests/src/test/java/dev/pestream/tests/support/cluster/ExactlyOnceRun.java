package dev.pestream.tests.support.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.tests.support.OutputTally;
import dev.pestream.tests.support.ShortChunkOutputs;
import dev.pestream.tests.support.ShortChunkStreams;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the exactly-once ITCases on the multi-process cluster share: the job jar, the stand-in PLM
 * server's expectations, the job settings for {@link ShortChunkStreams}, and the final check of
 * what the job wrote against what the input must produce.
 */
public final class ExactlyOnceRun {
  private ExactlyOnceRun() {}

  /** The job jar built by jobs/, as Maven hands it to the tests module. */
  /** What the stand-in PLM server must receive from the job's caption requests. */
  public static FakePlmServer.Expectations plmExpectations() {
    return new FakePlmServer.Expectations(ShortChunkStreams.CAPTION_MODEL, null, ShortChunkStreams.CAPTION_IMAGE_SIZE, 32);
  }

  /**
   * {@link ShortChunkStreams#jobSettings} with captions from {@code plmBaseUrl}, the {@code
   * topics}, checkpoints every second, and a consumer group and transactional id prefix of their
   * own ({@code name} plus a random suffix) so that runs never see each other's offsets or
   * transactions.
   */
  public static Map<String, String> jobSettings(String name, String plmBaseUrl, Map<String, String> topics) {
    String id = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> settings = new LinkedHashMap<>(ShortChunkStreams.jobSettings(plmBaseUrl));
    settings.putAll(topics);
    settings.put("job.group-id", id);
    settings.put("kafka.transactional-id-prefix", id);
    settings.put("job.checkpoint-interval", "1 s");
    return settings;
  }

  /**
   * Prints the tallies (lost, duplicated, unexpected) under {@code tag} and asserts: embeddings,
   * spans, tags and captions exactly once, alerts at least once (repeats with their alert's id),
   * every caption OK, the PLM server never sent anything it should not have had.
   */
  public static void assertExactlyOnce(String tag, ShortChunkOutputs outputs, FakePlmServer plm) {
    List<OutputTally> tallies = outputs.exactlyOnceTallies();
    OutputTally alertTally = outputs.alertTally();
    tallies.forEach(t -> System.out.println(tag + " " + t));
    System.out.println(tag + " " + alertTally + " (at least once: " + alertTally.repeats() + " repeats, each"
        + " with its alert's id)");

    assertThat(tallies).allSatisfy(t -> assertThat(t.exactlyOnce()).as(t.toString()).isTrue());
    assertThat(alertTally.atLeastOnce()).as(alertTally.toString()).isTrue();
    assertThat(outputs.captions()).allSatisfy(c -> assertThat(c.getStatus()).isEqualTo(CaptionStatus.OK));
    assertThat(plm.violations()).isEmpty();
  }
}
