package dev.pestream.media;

import static org.bytedeco.ffmpeg.global.avformat.avio_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avio_context_free;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EXIT;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

import java.io.IOException;
import java.io.InputStream;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/** A non-seekable FFmpeg input over a Java {@link InputStream} (the ingest command's stdin). */
public final class InputStreamAvio implements AutoCloseable {
  private static final int BUFFER_BYTES = 64 * 1024;
  private static final OpaqueRegistry<InputStreamAvio> LIVE = new OpaqueRegistry<>();

  private static final Read_packet_Pointer_BytePointer_int READ =
      new Read_packet_Pointer_BytePointer_int() {
        @Override
        public int call(Pointer opaque, BytePointer buffer, int size) {
          InputStreamAvio in = LIVE.lookup(opaque);
          return in == null ? AVERROR_EXIT : in.read(buffer, size);
        }
      };

  private final InputStream stream;
  private final Pointer token;
  private final AVIOContext avio;
  private byte[] chunk = new byte[BUFFER_BYTES];
  private IOException failure;

  public InputStreamAvio(InputStream stream) {
    this.stream = stream;
    token = LIVE.register(this);
    avio = avio_alloc_context(new BytePointer(av_malloc(BUFFER_BYTES)), BUFFER_BYTES, 0, token, READ, null, null);
  }

  public AVIOContext avio() {
    return avio;
  }

  /** The read error that ended the input, if any. */
  public IOException failure() {
    return failure;
  }

  private int read(BytePointer buffer, int size) {
    try {
      if (chunk.length < size) {
        chunk = new byte[size];
      }
      int n = stream.read(chunk, 0, size);
      if (n < 0) {
        return AVERROR_EOF;
      }
      buffer.position(0).put(chunk, 0, n);
      return n;
    } catch (IOException e) {
      failure = e;
      return AVERROR_EXIT;
    }
  }

  @Override
  public void close() {
    av_free(avio.buffer());
    avio.buffer(null);
    avio_context_free(avio);
    LIVE.release(token);
  }
}
