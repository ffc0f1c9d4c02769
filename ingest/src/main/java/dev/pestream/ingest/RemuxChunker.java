package dev.pestream.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_DISPLAYMATRIX;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_side_data_get;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_DISCARD;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_clone;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_copy_props;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_move_ref;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import dev.pestream.schemas.MediaKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Cuts a source with video into chunks without re-encoding: each chunk starts at a video keyframe
 * and ends before the first keyframe at least {@code chunkDurationUs} after its start. Audio
 * packets go by their timestamp, so an audio packet that arrives after the cut but belongs
 * before it still lands in the earlier chunk. Packets before the first keyframe cannot be decoded
 * on their own and are dropped, and so are an open GOP's leading pictures (shown before the
 * keyframe they follow, referencing the GOP before it): no self-contained chunk can decode them.
 * Timestamps are rewritten onto the stream clock.
 */
final class RemuxChunker implements Chunker {
  /** Codecs the MPEG-TS muxer carries well. */
  private static final Set<String> MPEGTS_CODECS =
      Set.of("h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video", "aac", "mp3", "mp2", "ac3", "eac3", "opus");

  /** Codecs fragmented MP4 carries. */
  private static final Set<String> MP4_CODECS =
      Set.of("h264", "hevc", "av1", "vp9", "mpeg4", "aac", "mp3", "opus", "flac", "alac", "ac3", "eac3");

  private final SourceReader reader;
  private final long chunkUs;
  private final long clockOffsetUs;
  private final ChunkSink sink;
  private final AVStream video;
  private final AVStream audio;
  private final String muxer;
  private final String container;
  private final Map<String, String> muxerOptions;
  private final long frameDurationUs;

  private List<Held> current = new ArrayList<>();
  private List<Held> next = new ArrayList<>();
  private long cutAtUs = Long.MIN_VALUE;
  /** Presentation time of the keyframe {@code current} starts at. */
  private long currentKeyUs = Long.MIN_VALUE;
  private boolean started;
  private long lastEndUs = Long.MIN_VALUE;

  /** A packet kept for a chunk, with its times on the stream clock. */
  private record Held(AVPacket packet, boolean isVideo, long ptsUs, long dtsUs, long durationUs) {}

  RemuxChunker(SourceReader reader, ChunkingSettings settings, long clockOffsetUs, ChunkSink sink) throws IOException {
    this.reader = reader;
    this.chunkUs = settings.chunkDurationUs();
    this.clockOffsetUs = clockOffsetUs;
    this.sink = sink;
    this.video = reader.video();
    this.audio = reader.audio();
    String videoCodec = codecName(video);
    String audioCodec = codecName(audio);
    ChunkingSettings.Container chosen = settings.container();
    if (chosen == ChunkingSettings.Container.AUTO) {
      // MPEG-TS has no place for a display matrix (a phone's portrait video): MP4 keeps it
      chosen = carries(MPEGTS_CODECS, videoCodec, audioCodec) && !hasDisplayMatrix(video)
          ? ChunkingSettings.Container.MPEGTS
          : carries(MP4_CODECS, videoCodec, audioCodec)
              ? ChunkingSettings.Container.MP4
              : ChunkingSettings.Container.MATROSKA;
    }
    switch (chosen) {
      case MPEGTS -> {
        muxer = "mpegts";
        container = "mpegts";
        muxerOptions = Map.of();
      }
      case MP4 -> {
        muxer = "mp4";
        container = "mp4";
        // delay_moov, not empty_moov: with an empty moov the muxer cannot write edit lists, so
        // every track of the chunk started at its own first timestamp and audio that starts a
        // few ms after the video keyframe (or video whose first dts precedes its pts) moved.
        muxerOptions = Map.of("movflags", "+frag_keyframe+delay_moov+default_base_moof");
      }
      default -> {
        muxer = "matroska";
        container = "matroska";
        muxerOptions = Map.of();
      }
    }
    try (AVRational rate = av_guess_frame_rate(reader.context(), video, null)) {
      frameDurationUs = rate.num() > 0 && rate.den() > 0 ? 1_000_000L * rate.den() / rate.num() : 40_000L;
    }
  }

  private static boolean hasDisplayMatrix(AVStream stream) {
    return stream != null && av_packet_side_data_get(stream.codecpar().coded_side_data(),
        stream.codecpar().nb_coded_side_data(), AV_PKT_DATA_DISPLAYMATRIX) != null;
  }

  static String codecName(AVStream stream) {
    return stream == null ? null : avcodec_get_name(stream.codecpar().codec_id()).getString();
  }

  private static boolean carries(Set<String> codecs, String videoCodec, String audioCodec) {
    return (videoCodec == null || codecs.contains(videoCodec)) && (audioCodec == null || codecs.contains(audioCodec));
  }

  /** The container chosen for this source. */
  String container() {
    return container;
  }

  @Override
  public void onPacket(AVPacket packet, AVStream stream) throws Exception {
    boolean isVideo = stream.index() == video.index();
    boolean key = (packet.flags() & AV_PKT_FLAG_KEY) != 0;
    if ((packet.flags() & AV_PKT_FLAG_DISCARD) != 0) {
      // Samples the source says to drop (AAC encoder priming before an mp4/mov edit list starts):
      // they precede the source's start_time, the stream clock's zero. Kept, they made the first
      // chunk start before zero in some containers but not others (see the leading pictures below).
      return;
    }
    if (!started) {
      if (!(isVideo && key)) {
        return;
      }
      started = true;
    }
    long pts = packet.pts() != AV_NOPTS_VALUE ? packet.pts() : packet.dts();
    long dts = packet.dts() != AV_NOPTS_VALUE ? packet.dts() : packet.pts();
    long ptsUs = clockOffsetUs + reader.sinceOriginUs(pts, stream.time_base());
    long dtsUs = clockOffsetUs + reader.sinceOriginUs(dts, stream.time_base());
    long durationUs = packet.duration() > 0 ? SourceReader.rescaleUs(packet.duration(), stream.time_base()) : 0;
    if (isVideo && durationUs == 0) {
      durationUs = frameDurationUs;
    }
    if (currentKeyUs == Long.MIN_VALUE) {
      currentKeyUs = ptsUs;
    }
    // Leading pictures: video that follows a chunk's keyframe in decode order but precedes it in
    // presentation (the B-frames of an open GOP, HEVC's RASL pictures after a CRA keyframe, as
    // x265 and phones write by default). They reference the previous GOP, so no chunk can decode
    // them and the job's decoders drop them. Kept, they also made the chunk's
    // start (the earliest pts) earlier than the container's start_time (the keyframe's pts, for
    // MPEG-TS), and the job, mapping times as startUs + pts - start_time, moved the whole chunk,
    // audio included, that much earlier: overlapping audio at every boundary (issue 15).
    if (isVideo && !key && ptsUs < (cutAtUs == Long.MIN_VALUE ? currentKeyUs : cutAtUs)) {
      return;
    }
    Held held = new Held(av_packet_clone(packet), isVideo, ptsUs, dtsUs, durationUs);

    if (isVideo) {
      if (key && cutAtUs == Long.MIN_VALUE && !current.isEmpty() && ptsUs - startOf(current) >= chunkUs) {
        cutAtUs = ptsUs;
        // Audio muxed ahead of the video may already sit in the current chunk: it belongs after the cut.
        for (var it = current.iterator(); it.hasNext(); ) {
          Held h = it.next();
          if (!h.isVideo() && h.ptsUs() >= cutAtUs) {
            next.add(h);
            it.remove();
          }
        }
        next.add(held);
        if (audio == null) {
          emitCurrent();
        }
      } else {
        (cutAtUs == Long.MIN_VALUE ? current : next).add(held);
      }
    } else if (cutAtUs != Long.MIN_VALUE && ptsUs >= cutAtUs) {
      emitCurrent();
      current.add(held);
    } else {
      current.add(held);
    }
    // Guard: audio that never catches up with the cut (audio stream ended) must not hold video.
    if (cutAtUs != Long.MIN_VALUE && !next.isEmpty() && endOf(next) - cutAtUs > 2 * chunkUs) {
      emitCurrent();
    }
  }

  @Override
  public void finish() throws Exception {
    if (!current.isEmpty()) {
      emit(current);
    }
    if (!next.isEmpty()) {
      emit(next);
    }
    current = new ArrayList<>();
    next = new ArrayList<>();
    cutAtUs = Long.MIN_VALUE;
  }

  @Override
  public long lastEndUs() {
    return lastEndUs;
  }

  /** Emits the chunk before the pending cut and starts the next one. */
  private void emitCurrent() throws Exception {
    List<Held> done = current;
    current = next;
    next = new ArrayList<>();
    currentKeyUs = cutAtUs;
    cutAtUs = Long.MIN_VALUE;
    if (!done.isEmpty()) {
      emit(done);
    }
  }

  private void emit(List<Held> packets) throws Exception {
    long start = startOf(packets);
    long end = endOf(packets);
    byte[] bytes;
    boolean hasAudio = false;
    try (MemoryMuxer mux = new MemoryMuxer(muxer)) {
      int videoIndex = mux.addStream(video.codecpar(), video.time_base());
      int audioIndex = audio == null ? -1 : mux.addStream(audio.codecpar(), audio.time_base());
      mux.writeHeader(muxerOptions);
      boolean inbandHeaders = muxer.equals("mpegts") && needsInbandHeaders(video.codecpar());
      for (Held h : packets) {
        hasAudio |= !h.isVideo();
        if (inbandHeaders && h.isVideo() && (h.packet().flags() & AV_PKT_FLAG_KEY) != 0) {
          prependHeaders(h.packet(), video.codecpar());
        }
        mux.write(h.packet(), h.isVideo() ? videoIndex : audioIndex, h.ptsUs(), h.dtsUs(), h.durationUs());
      }
      bytes = mux.finish();
    } finally {
      release(packets);
    }
    lastEndUs = end;
    sink.accept(
        new ChunkData(
            bytes,
            container,
            hasAudio ? MediaKind.AUDIO_VIDEO : MediaKind.VIDEO,
            hasAudio ? codecName(audio) : null,
            codecName(video),
            start,
            end - start,
            false));
  }

  /**
   * MPEG-TS carries no global headers: MPEG-4 part 2 from mp4 or Matroska keeps its VOS/VOL
   * headers only in the extradata, and a chunk without them cannot be decoded. (The MPEG-TS
   * muxer converts H.264 and HEVC to Annex B with their parameter sets by itself.)
   */
  private static boolean needsInbandHeaders(AVCodecParameters par) {
    return par.codec_id() == AV_CODEC_ID_MPEG4 && par.extradata_size() > 0;
  }

  /** Puts the extradata in front of a keyframe that does not start with it (FFmpeg's dump_extra). */
  private static void prependHeaders(AVPacket packet, AVCodecParameters par) throws IOException {
    int extra = par.extradata_size();
    int size = packet.size();
    BytePointer data = packet.data();
    if (size >= extra && data != null && !data.isNull()) {
      byte[] head = new byte[extra];
      byte[] extradata = new byte[extra];
      data.position(0).get(head);
      par.extradata().position(0).get(extradata);
      if (java.util.Arrays.equals(head, extradata)) {
        return;
      }
    }
    AVPacket out = av_packet_alloc();
    try {
      if (av_new_packet(out, extra + size) < 0 || av_packet_copy_props(out, packet) < 0) {
        throw new IOException("out of memory adding stream headers to a keyframe");
      }
      BytePointer dst = out.data();
      Pointer.memcpy(dst.position(0), par.extradata().position(0), extra);
      if (size > 0) {
        Pointer.memcpy(new BytePointer(dst).position(extra), data.position(0), size);
      }
      av_packet_unref(packet);
      av_packet_move_ref(packet, out);
    } finally {
      av_packet_free(out);
    }
  }

  private static long startOf(List<Held> packets) {
    long start = Long.MAX_VALUE;
    for (Held h : packets) {
      start = Math.min(start, h.ptsUs());
    }
    return start;
  }

  private static long endOf(List<Held> packets) {
    long end = Long.MIN_VALUE;
    for (Held h : packets) {
      end = Math.max(end, h.ptsUs() + h.durationUs());
    }
    return end;
  }

  private static void release(List<Held> packets) {
    for (Held h : packets) {
      av_packet_free(h.packet());
    }
    packets.clear();
  }

  @Override
  public void close() {
    release(current);
    release(next);
  }
}
