package dev.pestream.tests.support;

import dev.pestream.testing.kafka.KafkaTestClient;

import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Many cheap test streams for the perception job, and the outputs it must write for them. Every
 * chunk is 200 ms: FLAC audio (48 kHz mono) for audio-only streams, Matroska (FLAC + one H.264
 * frame at 5 fps) for video streams. A chunk is either silent or a 1 kHz tone throughout, and
 * shows one palette colour, so a handful of payloads (made once by FFmpeg) serve every chunk of
 * every stream; the stream clock comes from the record ({@code startUs = seq * 200 ms}).
 *
 * <p>With the {@link #jobSettings job settings} here (1 s windows every 1 s, 2 s caption
 * windows, no idle timeouts, so nothing depends on wall-clock time) the expected outputs follow
 * from the plans alone: one embedding per window and modality, an OPEN and a CLOSED span per
 * tone, an alert per tone on streams the rule selects, the colour tags of video streams, one
 * caption per caption window of video streams.
 */
public final class ShortChunkStreams {
  public static final long CHUNK_US = 200_000;
  public static final long WINDOW_US = 1_000_000;
  public static final long CAPTION_WINDOW_US = 2_000_000;
  /** Chunks per caption window: stream lengths are whole multiples of it. */
  public static final int CHUNKS_PER_CAPTION_WINDOW = (int) (CAPTION_WINDOW_US / CHUNK_US);
  private static final int CHUNKS_PER_WINDOW = (int) (WINDOW_US / CHUNK_US);
  private static final long FRAME_US = 40_000;
  private static final int FPS = 5;

  /** The configured span prompt (its id is the text). */
  public static final String PROMPT = "beep";
  public static final String RULE_ID = "beeper";
  public static final String VOCABULARY_ID = "colours";
  public static final String CAPTION_MODEL = "facebook/Perception-LM-1B";
  public static final int CAPTION_IMAGE_SIZE = 112;
  /** Palette indices and their tag words. */
  private static final String[] COLOUR_WORDS = {"red", "green", "blue", "yellow"};
  /**
   * Colours the streams show: the palette's green (30, 200, 30) stays under the tag's 0.6 on
   * threshold with the contract bundle, so it is not among them.
   */
  private static final int[] TAGGED_COLOURS = {0, 2, 3};

  /**
   * One stream: {@code chunks} chunks; tones over chunk ranges {@code [from, to)}; video streams
   * show colour {@code colourBefore} until chunk {@code colourChange}, then {@code colourAfter}.
   */
  public record Plan(String streamId, int chunks, boolean video, List<int[]> tones, int colourBefore, int colourAfter,
      int colourChange) {
    public Plan {
      if (chunks % CHUNKS_PER_CAPTION_WINDOW != 0) {
        throw new IllegalArgumentException("a stream is a whole number of caption windows long");
      }
      if (colourChange % CHUNKS_PER_WINDOW != 0) {
        throw new IllegalArgumentException("the colour changes on a window boundary");
      }
    }

    public boolean toneAt(int seq) {
      return tones.stream().anyMatch(t -> seq >= t[0] && seq < t[1]);
    }

    public int colourAt(int seq) {
      return seq < colourChange ? colourBefore : colourAfter;
    }

    /** Whether the alert rule (selector {@code alarm-*}) covers this stream. */
    public boolean alerted() {
      return streamId.startsWith("alarm-");
    }
  }

  private final Path scratch;
  private final Map<String, byte[]> payloads = new HashMap<>();

  public ShortChunkStreams(Path scratch) {
    this.scratch = scratch;
  }

  /**
   * {@code streams} streams of {@code chunksPerStream} chunks; the first {@code videoStreams}
   * have video ({@code cam-NN}), the others are audio only, every second one selected by the alert
   * rule ({@code alarm-NN}, else {@code mic-NN}). Tones of 1–5 chunks at random places, 5–40
   * chunks apart, none before chunk {@code firstTone} and none in a stream's last chunk (so every
   * span closes).
   */
  public static List<Plan> plans(long seed, int streams, int videoStreams, int chunksPerStream, int firstTone) {
    Random random = new Random(seed);
    List<Plan> plans = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      boolean video = s < videoStreams;
      String id = streamId(s, videoStreams);
      List<int[]> tones = new ArrayList<>();
      int next = firstTone + random.nextInt(10);
      while (true) {
        int to = next + 1 + random.nextInt(5);
        if (to >= chunksPerStream) {
          break;
        }
        tones.add(new int[] {next, to});
        next = to + 5 + random.nextInt(36);
      }
      int first = random.nextInt(TAGGED_COLOURS.length);
      int before = taggedColour(first);
      int after = taggedColour(first + 1 + random.nextInt(TAGGED_COLOURS.length - 1));
      int change = chunksPerStream / 2 / CHUNKS_PER_WINDOW * CHUNKS_PER_WINDOW;
      plans.add(new Plan(id, chunksPerStream, video, List.copyOf(tones), before, after, change));
    }
    return plans;
  }

  /**
   * Id of stream {@code s} of a set whose first {@code videoStreams} have video: {@code cam-NN},
   * then {@code alarm-NN} (selected by the alert rule) and {@code mic-NN} by turns.
   */
  public static String streamId(int s, int videoStreams) {
    return String.format("%s-%02d", s < videoStreams ? "cam" : s % 2 == 0 ? "alarm" : "mic", s);
  }

  /** Chunk {@code seq} of a stream. */
  public MediaChunk chunk(Plan plan, int seq) {
    return chunk(plan.streamId(), plan.video(), seq, plan.toneAt(seq), plan.colourAt(seq));
  }

  /**
   * Chunk {@code seq} of a stream, silent or a tone throughout; a video stream's chunk shows
   * palette colour {@code colour} (one of red, blue, yellow: {@link #taggedColour}).
   */
  public MediaChunk chunk(String streamId, boolean video, long seq, boolean tone, int colour) {
    MediaChunk.Builder chunk = MediaChunk.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setStartUs(seq * CHUNK_US)
        .setDurationUs(CHUNK_US)
        .setIngestTimeMs(Instant.now())
        .setAudioCodec("flac")
        .setAttributes(Map.of());
    if (video) {
      chunk.setKind(MediaKind.AUDIO_VIDEO).setContainer("matroska").setVideoCodec("h264")
          .setPayload(ByteBuffer.wrap(payload(true, tone, colour)));
    } else {
      chunk.setKind(MediaKind.AUDIO).setContainer("flac").setPayload(ByteBuffer.wrap(payload(false, tone, 0)));
    }
    return chunk.build();
  }

  /** The {@code i}-th (modulo) of the colours streams show, as a palette index. */
  public static int taggedColour(int i) {
    return TAGGED_COLOURS[Math.floorMod(i, TAGGED_COLOURS.length)];
  }

  /** Every chunk of every stream, streams interleaved at random, each stream in sequence order. */
  public List<MediaChunk> interleaved(List<Plan> plans, Random random) {
    List<MediaChunk> out = new ArrayList<>();
    int[] next = new int[plans.size()];
    List<Integer> open = new ArrayList<>();
    for (int i = 0; i < plans.size(); i++) {
      open.add(i);
    }
    while (!open.isEmpty()) {
      int pick = random.nextInt(open.size());
      int s = open.get(pick);
      out.add(chunk(plans.get(s), next[s]++));
      if (next[s] == plans.get(s).chunks()) {
        open.remove(pick);
      }
    }
    return out;
  }

  private byte[] payload(boolean video, boolean tone, int colour) {
    return payloads.computeIfAbsent(video + "/" + tone + "/" + colour, k -> {
      SyntheticMedia.Spec spec = SyntheticMedia.spec()
          .container(video ? SyntheticMedia.Container.MATROSKA : SyntheticMedia.Container.FLAC)
          .sampleRate(48_000).channels(1).duration(CHUNK_US / 1e6);
      if (video) {
        spec.size(96, 64).fps(FPS).colours(frame -> colour);
      }
      if (tone) {
        spec.tone(0, CHUNK_US / 1e6, 1000);
      }
      try {
        return SyntheticMedia.generate(spec, scratch);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /**
   * The job settings these expectations hold for; captions are on when {@code plmEndpoint} is
   * not null. Topics, Kafka and checkpointing are the caller's.
   */
  public static Map<String, String> jobSettings(String plmEndpoint) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("window.length", "1 s");
    s.put("window.hop", "1 s");
    s.put("window.idle-timeout", "0 s");
    s.put("spans.prompts", PROMPT);
    s.put("spans.context", "200 ms");
    s.put("models.providers", "cpu");
    s.put("models.batch.max-wait-ms", "1");
    if (plmEndpoint != null) {
      s.put("captions.endpoint", plmEndpoint);
      s.put("captions.model", CAPTION_MODEL);
      s.put("captions.window", "2 s");
      s.put("captions.image-size", String.valueOf(CAPTION_IMAGE_SIZE));
      s.put("captions.idle-timeout", "0 s");
      s.put("captions.requests-per-second", "100");
      s.put("captions.max-concurrent-requests", "8");
    }
    return s;
  }

  /** Writes the {@link #rule() alert rule} and the {@link #vocabulary() tag vocabulary} to the job's control topics. */
  public static void publishControlRecords(KafkaTestClient kafka, Map<String, String> topics) {
    kafka.send(topics.get("topics.alert-rules"), RULE_ID, RecordCodec.of(AlertRule.class).encode(rule()));
    kafka.send(topics.get("topics.tag-vocabularies"), VOCABULARY_ID,
        RecordCodec.of(TagVocabulary.class).encode(vocabulary()));
  }

  /** The alert rule: "beeping tone" on the {@code alarm-*} streams, no cooldown. */
  public static AlertRule rule() {
    return AlertRule.newBuilder().setRuleId(RULE_ID).setPrompt("beeping tone").setThreshold(0.5f)
        .setStreamSelector("alarm-*").setCooldownMs(0).setUpdatedAtMs(Instant.now()).build();
  }

  /** Colour tags, the single best one per window. */
  public static TagVocabulary vocabulary() {
    return TagVocabulary.newBuilder().setVocabularyId(VOCABULARY_ID).setTags(List.of(COLOUR_WORDS)).setTopK(1)
        .setOnThreshold(0.6f).setOffThreshold(0.4f).setUpdatedAtMs(Instant.now()).build();
  }

  // --- expected outputs, as keys (see the key functions in OutputTally) ----------------------

  /** {@code stream/MODALITY/windowStartUs} of every window: audio only, or all three with video. */
  public static Set<String> expectedEmbeddings(List<Plan> plans) {
    Set<String> keys = new LinkedHashSet<>();
    for (Plan p : plans) {
      for (long start = 0; start + WINDOW_US <= p.chunks() * CHUNK_US; start += WINDOW_US) {
        for (String modality : p.video() ? List.of("AUDIO", "VIDEO", "AUDIO_VIDEO") : List.of("AUDIO")) {
          keys.add(p.streamId() + "/" + modality + "/" + start);
        }
      }
    }
    return keys;
  }

  /**
   * {@code stream/promptId/startUs/STATE} of the OPEN and CLOSED record of every tone's span: for
   * the configured prompt on every stream, and for the rule's prompt on the streams it selects.
   */
  public static Set<String> expectedSpans(List<Plan> plans) {
    Set<String> keys = new LinkedHashSet<>();
    for (Plan p : plans) {
      for (String prompt : p.alerted() ? List.of(PROMPT, RULE_ID) : List.of(PROMPT)) {
        for (int[] tone : p.tones()) {
          keys.add(p.streamId() + "/" + prompt + "/" + tone[0] * CHUNK_US + "/OPEN");
          keys.add(p.streamId() + "/" + prompt + "/" + tone[0] * CHUNK_US + "/CLOSED");
        }
      }
    }
    return keys;
  }

  /** Alert ids ({@code rule/stream/startFrame}) of every tone on an alerted stream. */
  public static Set<String> expectedAlerts(List<Plan> plans) {
    Set<String> ids = new LinkedHashSet<>();
    for (Plan p : plans) {
      if (p.alerted()) {
        p.tones().forEach(t -> ids.add(RULE_ID + "/" + p.streamId() + "/" + t[0] * CHUNK_US / FRAME_US));
      }
    }
    return ids;
  }

  /** {@code stream/tag/ACTION} of video streams: the first colour added, then swapped at the change. */
  public static Set<String> expectedTags(List<Plan> plans) {
    Set<String> keys = new LinkedHashSet<>();
    for (Plan p : plans) {
      if (p.video()) {
        String before = COLOUR_WORDS[p.colourBefore()];
        keys.add(p.streamId() + "/" + before + "/ADDED");
        keys.add(p.streamId() + "/" + before + "/REMOVED");
        keys.add(p.streamId() + "/" + COLOUR_WORDS[p.colourAfter()] + "/ADDED");
      }
    }
    return keys;
  }

  /** {@code stream/windowStartUs} of every caption window of the video streams. */
  public static Set<String> expectedCaptions(List<Plan> plans) {
    Set<String> keys = new LinkedHashSet<>();
    for (Plan p : plans) {
      for (long start = 0; p.video() && start < p.chunks() * CHUNK_US; start += CAPTION_WINDOW_US) {
        keys.add(p.streamId() + "/" + start);
      }
    }
    return keys;
  }
}
