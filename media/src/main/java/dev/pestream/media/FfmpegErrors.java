package dev.pestream.media;

import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import java.nio.charset.StandardCharsets;

/** FFmpeg error codes as text. */
public final class FfmpegErrors {
  private FfmpegErrors() {}

  /** {@code av_strerror} of {@code code}, with the code itself. */
  public static String describe(int code) {
    byte[] buffer = new byte[256];
    if (av_strerror(code, buffer, buffer.length) < 0) {
      return "FFmpeg error " + code;
    }
    int end = 0;
    while (end < buffer.length && buffer[end] != 0) {
      end++;
    }
    return new String(buffer, 0, end, StandardCharsets.UTF_8) + " (" + code + ")";
  }
}
