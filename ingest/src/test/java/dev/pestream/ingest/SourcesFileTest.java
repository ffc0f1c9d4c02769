package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The sources file: defaults, per-source settings, and every mistake named by FILE:LINE. */
class SourcesFileTest {
  private static final Path FOLDER = Path.of("/srv/media");

  private static SourcesConfig parse(String yaml) throws SourcesFileException {
    return SourcesFile.parse(yaml, "sources.yaml", FOLDER);
  }

  private static void assertRejected(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(SourcesFileException.class).hasMessage(message);
  }

  @Test
  void sourcesTakeTheDefaultsAndOverrideThem() throws Exception {
    SourcesConfig config = parse("""
        defaults:
          chunk-duration: 2s
          io-timeout: 5s
          max-reconnects: 3
        sources:
          - stream-id: door
            url: rtsp://user:pw@10.0.0.5/stream
          - stream-id: lobby
            file: clips/lobby.mp4
            chunk-duration: 500ms
            transcode: true
            realtime: true
            live: true
            container: matroska
        """);
    assertThat(config.sources()).extracting(SourceSpec::streamId).containsExactly("door", "lobby");
    SourceSpec door = config.byStreamId().get("door");
    assertThat(door.source()).isEqualTo("rtsp://user:pw@10.0.0.5/stream");
    assertThat(door.chunking().chunkDurationUs()).isEqualTo(2_000_000);
    assertThat(door.ioTimeoutUs()).isEqualTo(5_000_000);
    assertThat(door.maxReconnects()).isEqualTo(3);
    assertThat(door.live()).as("not given: network URLs are live").isNull();
    assertThat(door.settings().build().live()).isTrue();
    SourceSpec lobby = config.byStreamId().get("lobby");
    assertThat(lobby.source()).as("relative to the file's folder").isEqualTo("/srv/media/clips/lobby.mp4");
    assertThat(lobby.chunking()).isEqualTo(new ChunkingSettings(500_000, ChunkingSettings.Container.MATROSKA,
        ChunkingSettings.AudioFormat.FLAC, true, ChunkingSettings.DEFAULT_VIDEO_BITRATE));
    assertThat(lobby.realtime()).isTrue();
    assertThat(lobby.live()).isTrue();
    assertThat(config.lines()).containsEntry("door", 6).containsEntry("lobby", 8);
  }

  @Test
  void theDeployExampleReads() throws Exception {
    SourcesConfig example = SourcesFile.read(Path.of("../deploy/ingest-sources.yaml"));
    assertThat(example.sources()).extracting(SourceSpec::streamId).containsExactly("door", "lobby", "yard");
    assertThat(example.byStreamId().get("yard").chunking().transcode()).isTrue();
  }

  @Test
  void withoutDefaultsEverySettingIsIngestsDefault() throws Exception {
    SourceSpec only = parse("sources:\n  - {stream-id: a, url: 'http://cam/a.ts'}\n").sources().get(0);
    assertThat(only.chunking()).isEqualTo(ChunkingSettings.defaults());
    assertThat(only.ioTimeoutUs()).isEqualTo(IngestSettings.DEFAULT_IO_TIMEOUT_US);
    assertThat(only.maxReconnects()).isEqualTo(-1);
    assertThat(only.realtime()).isFalse();
    assertThat(parse("sources:\n").sources()).as("an empty fleet is allowed").isEmpty();
  }

  @Test
  void anUnknownKeyIsNamedWithItsLineAndTheKnownKeys() {
    assertRejected("""
        sources:
          - stream-id: a
            url: http://cam/a.ts
            chunk-duraton: 2s
        """, "sources.yaml:4: unknown key 'chunk-duraton' in a source (known: stream-id, url, file, chunk-duration,"
            + " transcode, video-bitrate, container, audio-format, realtime, live, max-reconnects, io-timeout)");
    assertRejected("source:\n  - stream-id: a\n", "sources.yaml:1: unknown key 'source' at the top level (known: defaults, sources)");
    assertRejected("defaults:\n  url: http://x/y\nsources: []\n", "sources.yaml:2: unknown key 'url' under 'defaults' (known:"
        + " chunk-duration, transcode, video-bitrate, container, audio-format, realtime, live, max-reconnects, io-timeout)");
  }

  @Test
  void aSourceNeedsAnIdAndExactlyOneOfUrlOrFile() {
    assertRejected("sources:\n  - stream-id: a\n  - stream-id: b\n    url: http://cam/b.ts\n",
        "sources.yaml:2: source 'a' needs exactly one of 'url:' or 'file:'");
    assertRejected("sources:\n  - url: http://cam/b.ts\n", "sources.yaml:2: source without 'stream-id:'");
    assertRejected("sources:\n  - stream-id: a\n    url: http://cam/a.ts\n    file: a.mp4\n",
        "sources.yaml:2: source 'a' needs exactly one of 'url:' or 'file:'");
    assertRejected("sources:\n  - stream-id: a\n    url: cam/a.ts\n",
        "sources.yaml:3: 'cam/a.ts' is not a URL (scheme://...): use 'file:' for a local file");
    assertRejected("sources:\n  - stream-id: a\n    file: '-'\n",
        "sources.yaml:3: 'file:' must name a file (standard input is not a source here)");
  }

  @Test
  void aDuplicateStreamIdNamesBothLines() {
    assertRejected("""
        sources:
          - stream-id: cam
            url: http://cam/1.ts
          - stream-id: cam
            url: http://cam/2.ts
        """, "sources.yaml:4: duplicate stream-id 'cam' (already used on line 2): every stream needs its own id");
  }

  @Test
  void aYamlSyntaxErrorGivesItsLine() {
    assertThatThrownBy(() -> parse("sources:\n  - stream-id: a\n    url: http://cam/a.ts\n   - stream-id: b\n"))
        .isInstanceOf(SourcesFileException.class)
        .hasMessageStartingWith("sources.yaml:4: YAML syntax error: ");
    assertThatThrownBy(() -> parse("sources:\n  - stream-id: [a\n"))
        .hasMessageStartingWith("sources.yaml:3: YAML syntax error: ");
    assertRejected("", "sources.yaml:1: the file is empty: it needs a 'sources:' list");
  }

  @Test
  void badValuesAreNamedWithTheirLine() {
    assertRejected("defaults:\n  chunk-duration: soon\nsources: []\n",
        "sources.yaml:2: 'chunk-duration': 'soon' is not a duration (e.g. 1s, 500ms, 2.5s, 1m)");
    assertRejected("sources:\n  - stream-id: a\n    url: http://x/a\n    transcode: yes please\n",
        "sources.yaml:4: 'transcode' is true or false, got 'yes please'");
    assertRejected("sources:\n  - stream-id: a\n    url: http://x/a\n    container: avi\n",
        "sources.yaml:4: 'container' is one of auto, mpegts, mp4, matroska, got 'avi'");
    assertRejected("sources:\n  - stream-id: a\n    url: http://x/a\n    max-reconnects: many\n",
        "sources.yaml:4: 'max-reconnects' is a whole number, got 'many'");
    assertRejected("sources:\n  - stream-id: a\n    url: http://x/a\n    chunk-duration: 50ms\n",
        "sources.yaml:2: source 'a': chunk duration must be within 0.1 s .. 60 s, got 50000 us");
    assertRejected("sources:\n  - stream-id: a\n    url: http://x/a\n    url: http://x/b\n",
        "sources.yaml:4: 'url' is given twice in a source");
    assertRejected("sources:\n  stream-id: a\n", "sources.yaml:2: 'sources' must be a list of sources ('- stream-id: ...')");
  }
}
