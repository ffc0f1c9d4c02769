package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reconciling running streams with an edited sources file: only what changed is touched. */
class FleetPlanTest {
  private static SourceSpec spec(String id, String url, long chunkUs) {
    ChunkingSettings chunking = new ChunkingSettings(chunkUs, ChunkingSettings.Container.AUTO,
        ChunkingSettings.AudioFormat.FLAC, false, ChunkingSettings.DEFAULT_VIDEO_BITRATE);
    return new SourceSpec(id, url, chunking, null, false, -1, IngestSettings.DEFAULT_IO_TIMEOUT_US);
  }

  private static SourcesConfig config(SourceSpec... specs) {
    return new SourcesConfig(List.of(specs), Map.of());
  }

  @Test
  void addsChangesAndRemovesOnlyWhatDiffers() {
    SourceSpec a = spec("a", "http://cam/a.ts", 1_000_000);
    SourceSpec b = spec("b", "http://cam/b.ts", 1_000_000);
    SourceSpec c = spec("c", "http://cam/c.ts", 1_000_000);
    Map<String, SourceSpec> running = config(a, b, c).byStreamId();

    SourceSpec bLonger = spec("b", "http://cam/b.ts", 2_000_000);
    SourceSpec d = spec("d", "http://cam/d.ts", 1_000_000);
    FleetPlan plan = FleetPlan.between(running, config(d, bLonger, a));

    assertThat(plan.added()).containsExactly(d);
    assertThat(plan.changed()).containsExactly(bLonger);
    assertThat(plan.removed()).containsExactly("c");
    assertThat(plan.unchanged()).isEqualTo(1);
    assertThat(plan.toString()).isEqualTo("1 added, 1 changed, 1 removed, 1 unchanged");
  }

  @Test
  void theSameSpecsInAnotherOrderChangeNothing() {
    SourceSpec a = spec("a", "http://cam/a.ts", 1_000_000);
    SourceSpec b = spec("b", "http://cam/b.ts", 1_000_000);
    FleetPlan plan = FleetPlan.between(config(a, b).byStreamId(), config(spec("b", "http://cam/b.ts", 1_000_000), a));
    assertThat(plan.isEmpty()).isTrue();
    assertThat(plan.unchanged()).isEqualTo(2);
  }

  @Test
  void aNewUrlForAnIdIsAChangeAndEmptyingTheFileRemovesAll() {
    Map<String, SourceSpec> running = config(spec("a", "http://cam/a.ts", 1_000_000)).byStreamId();
    assertThat(FleetPlan.between(running, config(spec("a", "http://cam/a2.ts", 1_000_000))).changed())
        .extracting(SourceSpec::source).containsExactly("http://cam/a2.ts");
    assertThat(FleetPlan.between(running, config()).removed()).containsExactly("a");
  }

  @Test
  void theLineOfASourceIsNotPartOfItsSpec() throws Exception {
    SourcesConfig before = SourcesFile.parse("sources:\n  - {stream-id: a, url: 'http://cam/a.ts'}\n", "f", null);
    SourcesConfig after = SourcesFile.parse("# moved down\n\nsources:\n\n  - {stream-id: a, url: 'http://cam/a.ts'}\n", "f", null);
    assertThat(after.lines().get("a")).isNotEqualTo(before.lines().get("a"));
    assertThat(FleetPlan.between(before.byStreamId(), after).isEmpty()).isTrue();
  }
}
