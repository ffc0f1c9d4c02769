package dev.pestream.media;

import java.util.Set;

/**
 * Decoders allowed to run on chunk bytes: the usual camera, broadcast and web codecs. Narrowing
 * the set narrows the native attack surface; FFmpeg enforces it too ({@code codec_whitelist}).
 * The ingest command checks sources against it, so that it never publishes chunks the job would
 * refuse.
 */
public final class CodecAllowList {
  /** FFmpeg decoder names (not codec ids), comma-separated, as {@code codec_whitelist} wants. */
  public static final String DECODERS =
      "h264,hevc,vp8,vp9,av1,libdav1d,libaom-av1,mpeg4,mpeg2video,mpeg1video,mjpeg,"
          + "aac,aac_fixed,aac_latm,mp3,mp3float,mp2,mp2float,opus,libopus,vorbis,flac,alac,ac3,ac3_fixed,eac3,"
          + "pcm_s16le,pcm_s16be,pcm_s24le,pcm_s24be,pcm_s32le,pcm_s32be,pcm_f32le,pcm_f32be,pcm_f64le,"
          + "pcm_u8,pcm_alaw,pcm_mulaw";

  private static final Set<String> NAMES = Set.of(DECODERS.split(","));

  private CodecAllowList() {}

  public static boolean allows(String decoderName) {
    return NAMES.contains(decoderName);
  }

  /** Whether the decode stage will decode codec {@code codecId} (an FFmpeg {@code AVCodecID}). */
  public static boolean allowsCodec(int codecId) {
    org.bytedeco.ffmpeg.avcodec.AVCodec decoder = org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder(codecId);
    return decoder != null && !decoder.isNull() && allows(decoder.name().getString());
  }
}
