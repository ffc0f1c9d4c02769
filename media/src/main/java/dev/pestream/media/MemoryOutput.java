package dev.pestream.media;

import static org.bytedeco.ffmpeg.global.avformat.AVSEEK_SIZE;
import static org.bytedeco.ffmpeg.global.avformat.avio_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avio_context_free;
import static org.bytedeco.ffmpeg.global.avformat.avio_flush;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EINVAL;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EXIT;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

import java.util.Arrays;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.ffmpeg.avformat.Write_packet_Pointer_BytePointer_int;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A seekable in-memory output for an FFmpeg muxer (WAV and FLAC rewrite their headers at the
 * end, so the output must seek). The callbacks are single static JavaCPP function pointers that
 * find their output through the opaque token ({@link OpaqueRegistry}).
 */
public final class MemoryOutput implements AutoCloseable {
  private static final int BUFFER_BYTES = 64 * 1024;
  private static final OpaqueRegistry<MemoryOutput> LIVE = new OpaqueRegistry<>();

  private static final Write_packet_Pointer_BytePointer_int WRITE =
      new Write_packet_Pointer_BytePointer_int() {
        @Override
        public int call(Pointer opaque, BytePointer buffer, int size) {
          MemoryOutput out = LIVE.lookup(opaque);
          return out == null ? AVERROR_EXIT : out.write(buffer, size);
        }
      };

  private static final Seek_Pointer_long_int SEEK =
      new Seek_Pointer_long_int() {
        @Override
        public long call(Pointer opaque, long offset, int whence) {
          MemoryOutput out = LIVE.lookup(opaque);
          return out == null ? AVERROR_EXIT : out.seek(offset, whence);
        }
      };

  private final Pointer token;
  private final AVIOContext avio;
  private byte[] bytes = new byte[256 * 1024];
  private int length;
  private int position;

  public MemoryOutput() {
    token = LIVE.register(this);
    BytePointer buffer = new BytePointer(av_malloc(BUFFER_BYTES));
    avio = avio_alloc_context(buffer, BUFFER_BYTES, 1, token, null, WRITE, SEEK);
  }

  public AVIOContext avio() {
    return avio;
  }

  /** Everything written so far (flushes FFmpeg's buffer first). */
  public byte[] toByteArray() {
    avio_flush(avio);
    return Arrays.copyOf(bytes, length);
  }

  private int write(BytePointer buffer, int size) {
    int end = position + size;
    if (end > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(end, bytes.length * 2));
    }
    buffer.position(0).get(bytes, position, size);
    position = end;
    length = Math.max(length, end);
    return size;
  }

  private long seek(long offset, int whence) {
    if ((whence & AVSEEK_SIZE) != 0) {
      return length;
    }
    long target =
        switch (whence & 3) {
          case 0 -> offset;
          case 1 -> position + offset;
          case 2 -> length + offset;
          default -> -1;
        };
    if (target < 0 || target > Integer.MAX_VALUE - 8) {
      return AVERROR_EINVAL();
    }
    position = (int) target;
    return target;
  }

  @Override
  public void close() {
    av_free(avio.buffer());
    avio.buffer(null);
    avio_context_free(avio);
    LIVE.release(token);
  }
}
