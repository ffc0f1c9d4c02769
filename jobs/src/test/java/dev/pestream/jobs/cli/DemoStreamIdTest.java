package dev.pestream.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The stream id the demo gives each --input: what the summary and the report show. */
class DemoStreamIdTest {
  @Test
  void filesUrlsAndStdinGetReadableIds() {
    assertThat(DemoCommand.streamIdOf("clips/street cam.mp4")).isEqualTo("street cam");
    assertThat(DemoCommand.streamIdOf("rtsp://admin:secret@10.0.0.5:554/stream1")).isEqualTo("stream1");
    assertThat(DemoCommand.streamIdOf("https://example.org/live/news.m3u8?token=abc")).isEqualTo("news");
    assertThat(DemoCommand.streamIdOf("srt://10.0.0.7:9000?mode=caller")).isEqualTo("10.0.0.7");
    assertThat(DemoCommand.streamIdOf("http://cam.local/")).isEqualTo("cam.local");
    assertThat(DemoCommand.streamIdOf("-")).isEqualTo("stdin");
  }
}
