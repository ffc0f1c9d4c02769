package dev.pestream.media;

import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_FATAL;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_WARNING;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.setLogCallback;

import org.bytedeco.ffmpeg.avutil.LogCallback;
import org.bytedeco.javacpp.BytePointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes FFmpeg's log (otherwise printed straight to stderr) to SLF4J logger {@value #LOGGER}.
 * Complaints about damaged or hostile chunks are expected and each becomes a dead letter with
 * the reason, so FFmpeg's errors and warnings go to DEBUG; only fatal messages go to WARN.
 */
public final class FfmpegLog {
  /** The logger FFmpeg's messages go to. */
  public static final String LOGGER = "dev.pestream.ffmpeg";

  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

  private static final LogCallback CALLBACK =
      new LogCallback() {
        @Override
        public void call(int level, BytePointer message) {
          if (level <= AV_LOG_FATAL) {
            LOG.warn("{}", message.getString().strip());
          } else if (LOG.isDebugEnabled()) {
            LOG.debug("{}", message.getString().strip());
          }
        }
      };

  private static boolean installed;

  private FfmpegLog() {}

  /** Installs the routing once per JVM; FFmpeg formats nothing below warnings. */
  public static synchronized void install() {
    if (!installed) {
      av_log_set_level(AV_LOG_WARNING);
      setLogCallback(CALLBACK);
      installed = true;
    }
  }
}
