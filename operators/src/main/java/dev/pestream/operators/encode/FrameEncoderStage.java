package dev.pestream.operators.encode;

import dev.pestream.models.ModelCalls;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.MediaSpecs;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.DecodedChunk;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The frame-level encoders: every 40 ms audio frame goes through {@code audio_codec} once (on
 * the stream-clock frame grid, whatever the chunk boundaries — see {@link AudioFramer}) and every
 * kept video frame through {@code frame_encoder} once, via the JVM-wide shared batched sessions.
 * The frames of a chunk are submitted together so they batch.
 *
 * <p>Pipelined: a chunk's frames are submitted and the operator returns at once, so the subtask's
 * thread decodes the next chunk while the batcher's threads encode this one. Up to
 * {@code maxInFlight} chunks (from any of the subtask's streams) are in the sessions at once; the
 * next one waits for the oldest ({@code 0}: not pipelined, each chunk is encoded before the
 * operator returns). Encoded chunks leave in arrival order (so per stream in sequence
 * order), from the task's mailbox as soon as they and every chunk before them are encoded. Before
 * each checkpoint barrier, a watermark and the end of input, every chunk in flight is finished and
 * emitted: a checkpoint never holds requests in flight, only the keyed framer state, so restores,
 * rescaling and exactly-once outputs work as with a synchronous operator.
 *
 * <p>A gap (sequence gap, clock jump, source discontinuity, or a chunk that failed to decode)
 * ends the audio segment: its last partial frame is padded and emitted first, and the chunk after
 * the hole is marked {@code gapBefore}. {@link EncodedChunk#endUs} is how far the stream is now
 * covered by encoded frames, so windows are only closed once their last frame is in.
 */
public class FrameEncoderStage extends AbstractStreamOperator<EncodedChunk>
    implements OneInputStreamOperator<DecodedChunk, EncodedChunk> {
  private static final long serialVersionUID = 2L;

  public static final String METRIC_AUDIO_FRAMES = "audioFramesEncoded";
  public static final String METRIC_VIDEO_FRAMES = "videoFramesEncoded";
  /** Chunks waiting for the encoders in this subtask, a gauge. */
  public static final String METRIC_IN_FLIGHT = "chunksInFlight";
  public static final int DEFAULT_MAX_IN_FLIGHT = 4;

  private final ModelsSpec modelsSpec;
  private final int maxInFlight;

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
  private transient MailboxExecutor mailbox;
  private transient ArrayDeque<InFlight> inFlight;

  /**
   * The encoded chunks one input chunk gives (a padded tail before a hole, then the chunk), each
   * assembled in the task thread once {@code encoded} completes.
   */
  private record InFlight(List<Supplier<EncodedChunk>> outputs, CompletableFuture<Void> encoded, long timestamp,
      boolean hasTimestamp) {}

  public FrameEncoderStage(ModelsSpec modelsSpec) {
    this(modelsSpec, DEFAULT_MAX_IN_FLIGHT);
  }

  public FrameEncoderStage(ModelsSpec modelsSpec, int maxInFlight) {
    if (maxInFlight < 0) {
      throw new IllegalArgumentException("chunks in flight must be 0 (not pipelined) or more, got " + maxInFlight);
    }
    this.modelsSpec = modelsSpec;
    this.maxInFlight = maxInFlight;
  }

  @Override
  public void open() throws Exception {
    super.open();
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
    audioFrames = getMetricGroup().counter(METRIC_AUDIO_FRAMES);
    videoFrames = getMetricGroup().counter(METRIC_VIDEO_FRAMES);
    inFlight = new ArrayDeque<>(maxInFlight + 1);
    getMetricGroup().gauge(METRIC_IN_FLIGHT, (Gauge<Integer>) () -> inFlight.size());
    mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
  }

  @Override
  public void processElement(StreamRecord<DecodedChunk> record) throws Exception {
    emitEncoded();
    while (!inFlight.isEmpty() && inFlight.size() >= maxInFlight) {
      emitOldest(); // backpressure: the oldest chunk must leave before another one goes in
    }
    List<Supplier<EncodedChunk>> outputs = new ArrayList<>(2);
    List<CompletableFuture<?>> requests = new ArrayList<>();
    submit(record.getValue(), outputs, requests);
    CompletableFuture<Void> encoded = CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new));
    inFlight.add(new InFlight(outputs, encoded, record.getTimestamp(), record.hasTimestamp()));
    if (maxInFlight == 0) {
      emitAll(); // not pipelined: the chunk is encoded before the subtask decodes the next one
    } else if (encoded.isDone()) {
      emitEncoded(); // nothing to encode (a failed chunk without audio to flush)
    } else {
      // completes on a batcher thread; emitting belongs to the task thread
      encoded.whenComplete((ok, error) -> mailbox.execute(this::emitEncoded, "emit encoded chunks"));
    }
  }

  /** The keyed part, in the task thread: framing, gap handling, state; the model calls go out async. */
  private void submit(DecodedChunk chunk, List<Supplier<EncodedChunk>> outputs, List<CompletableFuture<?>> requests)
      throws Exception {
    FramerState state = framerState.value();
    if (state == null) {
      state = new FramerState();
    }
    boolean gap = chunk.gapBefore || Boolean.TRUE.equals(holeBefore.value());
    if (chunk.decodeFailed) {
      flushInto(chunk, state, outputs, requests);
      holeBefore.update(true);
      framerState.update(state);
      return;
    }
    boolean hasAudio = encodesAudio && chunk.hasAudio();
    boolean jump = hasAudio && state.active && !framer.continues(state, chunk.audioStartSample);
    if (gap || jump) {
      flushInto(chunk, state, outputs, requests);
    }
    Optional<CodecBlock> block = hasAudio
        ? framer.push(state, chunk.audioStartSample, chunk.audio) : Optional.empty();
    CompletableFuture<float[][]> features = block.map(b -> models.audioCodec().encodeAsync(b.samples())).orElse(null);
    List<CompletableFuture<float[]>> frames = new ArrayList<>();
    for (int f = 0; encodesVideo && f < chunk.frameCount(); f++) {
      // straight from the chunk's pixels: each decoded chunk has its own array, nobody writes it again
      frames.add(models.frameEncoder().encodeAsync(chunk.pixels, chunk.frameOffset(f)));
    }
    if (features != null) {
      requests.add(features);
    }
    requests.addAll(frames);

    EncodedChunk encoded = base(chunk);
    encoded.gapBefore = gap || jump;
    long chunkEndUs = chunk.startUs + chunk.durationUs;
    // a video-only chunk (or audio still waiting for a whole frame) covers what it carries
    long videoOnlyEndUs = state.active ? Math.min(chunkEndUs, frameStartUs(state.nextFrame)) : chunkEndUs;
    long[] framePtsUs = Arrays.copyOf(chunk.framePtsUs, frames.size());
    long[] frameIndex = Arrays.copyOf(chunk.frameIndex, frames.size());
    outputs.add(() -> {
      if (block.isPresent()) {
        setAudio(encoded, block.get(), ModelCalls.await(features));
        encoded.endUs = Math.min(chunkEndUs, encoded.audioEndUs);
      } else {
        encoded.endUs = videoOnlyEndUs;
      }
      setVideo(encoded, framePtsUs, frameIndex, frames);
      return encoded;
    });
    framerState.update(state);
    holeBefore.update(false);
  }

  /** Ends the audio segment before a hole: the remaining frames, the last one padded. */
  private void flushInto(DecodedChunk next, FramerState state, List<Supplier<EncodedChunk>> outputs,
      List<CompletableFuture<?>> requests) {
    Optional<CodecBlock> tail = framer.flush(state);
    if (tail.isEmpty()) {
      return;
    }
    CompletableFuture<float[][]> features = models.audioCodec().encodeAsync(tail.get().samples());
    requests.add(features);
    EncodedChunk encoded = base(next);
    encoded.startUs = frameStartUs(tail.get().emitFrom());
    outputs.add(() -> {
      setAudio(encoded, tail.get(), ModelCalls.await(features));
      encoded.endUs = encoded.audioEndUs;
      return encoded;
    });
  }

  /** Emits the chunks at the head of the queue that are encoded, in order. */
  private void emitEncoded() {
    while (!inFlight.isEmpty() && inFlight.peek().encoded().isDone()) {
      emit(inFlight.poll());
    }
  }

  /** Waits for the oldest chunk in flight and emits it. */
  private void emitOldest() {
    InFlight oldest = inFlight.poll();
    ModelCalls.await(oldest.encoded());
    emit(oldest);
  }

  /** Finishes every chunk in flight, in order. */
  private void emitAll() {
    while (!inFlight.isEmpty()) {
      emitOldest();
    }
  }

  private void emit(InFlight done) {
    for (Supplier<EncodedChunk> part : done.outputs()) {
      EncodedChunk chunk = part.get();
      output.collect(done.hasTimestamp() ? new StreamRecord<>(chunk, done.timestamp()) : new StreamRecord<>(chunk));
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    emitAll(); // the checkpoint must not hold chunks that went in but not out
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    emitAll(); // a watermark must not overtake the chunks before it
    super.processWatermark(mark);
  }

  @Override
  public void finish() throws Exception {
    emitAll();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    if (models != null) {
      models.close();
      models = null;
    }
    super.close();
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

  private void setVideo(EncodedChunk e, long[] framePtsUs, long[] frameIndex, List<CompletableFuture<float[]>> frames) {
    e.videoPtsUs = framePtsUs;
    e.videoGridIndex = frameIndex;
    e.videoFeatures = new float[frames.size() * frameFeatureDim];
    for (int f = 0; f < frames.size(); f++) {
      System.arraycopy(ModelCalls.await(frames.get(f)), 0, e.videoFeatures, f * frameFeatureDim, frameFeatureDim);
    }
    videoFrames.inc(frames.size());
  }

  private long frameStartUs(long frame) {
    return frame * audioSpec.frameDurationUs();
  }
}
