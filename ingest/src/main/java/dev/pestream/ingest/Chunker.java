package dev.pestream.ingest;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;

/** Cuts the packets of one source connection into chunks. */
interface Chunker extends AutoCloseable {
  /** A packet of the source's video or audio stream (owned by the reader: copy what you keep). */
  void onPacket(AVPacket packet, AVStream stream) throws Exception;

  /** The source ended: emit what is left. */
  void finish() throws Exception;

  /** End of the last emitted chunk on the stream clock, or {@link Long#MIN_VALUE} if none yet. */
  long lastEndUs();

  @Override
  void close();
}
