package dev.pestream.operators.encode;

import dev.pestream.models.Models;
import dev.pestream.models.bundle.MediaSpecs;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.DecodedChunk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The frame-level encoders: every 40 ms audio frame goes through {@code audio_codec} once (on
 * the stream-clock frame grid, whatever the chunk boundaries — see {@link AudioFramer}) and every
 * kept video frame through {@code frame_encoder} once, via the JVM-wide shared batched sessions.
 * The frames of a chunk are submitted together so they batch.
 *
 * <p>A gap (sequence gap, clock jump, source discontinuity, or a chunk that failed to decode)
 * ends the audio segment: its last partial frame is padded and emitted first, and the chunk after
 * the hole is marked {@code gapBefore}. {@link EncodedChunk#endUs} is how far the stream is now
 * covered by encoded frames, so windows are only closed once their last frame is in.
 */
public class FrameEncoderStage extends KeyedProcessFunction<String, DecodedChunk, EncodedChunk> {
  private static final long serialVersionUID = 1L;

  public static final String METRIC_AUDIO_FRAMES = "audioFramesEncoded";
  public static final String METRIC_VIDEO_FRAMES = "videoFramesEncoded";

  private final ModelsSpec modelsSpec;

  private transient Models models;
  private transient AudioFramer framer;
  private transient MediaSpecs.Audio audioSpec;
  private transient int frameFeatureDim;
  private transient boolean encodesAudio;
  private transient boolean encodesVideo;
  private transient ValueState<FramerState> framerState;
  private transient ValueState<Boolean> holeBefore;
  private transient Counter audioFrames;
  private transient Counter videoFrames;

  public FrameEncoderStage(ModelsSpec modelsSpec) {
    this.modelsSpec = modelsSpec;
  }

  @Override
  public void open(OpenContext openContext) {
    models = modelsSpec.open(getRuntimeContext(), List.of("audio_codec", "frame_encoder"), List.of());
    audioSpec = models.manifest().audio();
    if (audioSpec.sampleRate() != AudioClock.SAMPLE_RATE) {
      throw new IllegalStateException("bundle wants " + audioSpec.sampleRate() + " Hz audio; the decoder delivers "
          + AudioClock.SAMPLE_RATE + " Hz");
    }
    frameFeatureDim = models.manifest().video() == null ? 0 : models.manifest().video().frameFeatureDim();
    // an alerts-only bundle has no frame encoder, a video-only one no codec: that media is skipped
    encodesAudio = models.graphs().contains("audio_codec");
    encodesVideo = models.graphs().contains("frame_encoder");
    framer = new AudioFramer(audioSpec.hopSamples(), audioSpec.codecContextFrames());
    framerState = getRuntimeContext().getState(
        new ValueStateDescriptor<>("audio-framer", TypeInformation.of(FramerState.class)));
    holeBefore = getRuntimeContext().getState(new ValueStateDescriptor<>("hole-before", Types.BOOLEAN));
    audioFrames = getRuntimeContext().getMetricGroup().counter(METRIC_AUDIO_FRAMES);
    videoFrames = getRuntimeContext().getMetricGroup().counter(METRIC_VIDEO_FRAMES);
  }

  @Override
  public void close() {
    if (models != null) {
      models.close();
      models = null;
    }
  }

  @Override
  public void processElement(DecodedChunk chunk, Context ctx, Collector<EncodedChunk> out) throws Exception {
    FramerState state = framerState.value();
    if (state == null) {
      state = new FramerState();
    }
    boolean gap = chunk.gapBefore || Boolean.TRUE.equals(holeBefore.value());
    if (chunk.decodeFailed) {
      flushInto(chunk, state, out);
      holeBefore.update(true);
      framerState.update(state);
      return;
    }
    boolean hasAudio = encodesAudio && chunk.hasAudio();
    boolean jump = hasAudio && state.active && !framer.continues(state, chunk.audioStartSample);
    if (gap || jump) {
      flushInto(chunk, state, out);
    }
    Optional<CodecBlock> block = hasAudio
        ? framer.push(state, chunk.audioStartSample, chunk.audio) : Optional.empty();
    CompletableFuture<float[][]> features = block.map(b -> models.audioCodec().encodeAsync(b.samples())).orElse(null);
    List<CompletableFuture<float[]>> frames = new ArrayList<>();
    for (int f = 0; encodesVideo && f < chunk.frameCount(); f++) {
      int from = chunk.frameOffset(f);
      frames.add(models.frameEncoder().encodeAsync(Arrays.copyOfRange(chunk.pixels, from, from + chunk.frameFloats())));
    }

    EncodedChunk encoded = base(chunk);
    encoded.gapBefore = gap || jump;
    long chunkEndUs = chunk.startUs + chunk.durationUs;
    if (block.isPresent()) {
      setAudio(encoded, block.get(), features.join());
      encoded.endUs = Math.min(chunkEndUs, encoded.audioEndUs);
    } else {
      // a video-only chunk (or audio still waiting for a whole frame) covers what it carries
      encoded.endUs = state.active ? Math.min(chunkEndUs, frameStartUs(state.nextFrame)) : chunkEndUs;
    }
    setVideo(encoded, chunk, frames);
    framerState.update(state);
    holeBefore.update(false);
    out.collect(encoded);
  }

  /** Ends the audio segment before a hole: the remaining frames, the last one padded. */
  private void flushInto(DecodedChunk next, FramerState state, Collector<EncodedChunk> out) {
    Optional<CodecBlock> tail = framer.flush(state);
    if (tail.isEmpty()) {
      return;
    }
    EncodedChunk encoded = base(next);
    encoded.startUs = frameStartUs(tail.get().emitFrom());
    setAudio(encoded, tail.get(), models.audioCodec().encode(tail.get().samples()));
    encoded.endUs = encoded.audioEndUs;
    out.collect(encoded);
  }

  private EncodedChunk base(DecodedChunk chunk) {
    EncodedChunk e = new EncodedChunk();
    e.streamId = chunk.streamId;
    e.seq = chunk.seq;
    e.startUs = chunk.startUs;
    e.ingestTimeMs = chunk.ingestTimeMs;
    e.audioFeatureDim = audioSpec.featureDim();
    e.frameFeatureDim = frameFeatureDim;
    e.frameRateNum = chunk.frameRateNum;
    e.frameRateDen = chunk.frameRateDen;
    return e;
  }

  private void setAudio(EncodedChunk e, CodecBlock block, float[][] rows) {
    int dim = audioSpec.featureDim();
    int skip = block.contextRowsBefore();
    e.firstAudioFrame = block.emitFrom();
    e.audioFrameCount = block.emitCount();
    e.audioFeatures = new float[block.emitCount() * dim];
    for (int i = 0; i < block.emitCount(); i++) {
      System.arraycopy(rows[skip + i], 0, e.audioFeatures, i * dim, dim);
    }
    e.audioEndUs = block.realEndSample() * 1_000_000L / audioSpec.sampleRate();
    audioFrames.inc(block.emitCount());
  }

  private void setVideo(EncodedChunk e, DecodedChunk chunk, List<CompletableFuture<float[]>> frames) {
    e.videoPtsUs = Arrays.copyOf(chunk.framePtsUs, frames.size());
    e.videoGridIndex = Arrays.copyOf(chunk.frameIndex, frames.size());
    e.videoFeatures = new float[frames.size() * frameFeatureDim];
    for (int f = 0; f < frames.size(); f++) {
      System.arraycopy(frames.get(f).join(), 0, e.videoFeatures, f * frameFeatureDim, frameFeatureDim);
    }
    videoFrames.inc(frames.size());
  }

  private long frameStartUs(long frame) {
    return frame * audioSpec.frameDurationUs();
  }
}
