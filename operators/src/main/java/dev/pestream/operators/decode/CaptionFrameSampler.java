package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.DoublePointer;

/**
 * Makes the caption frames of a chunk ({@link CaptionFramePolicy}): for the first decoded frame of
 * each interval slot, FFmpeg's scaler ({@code swscale}, {@code SWS_BICUBIC}) resizes it straight to
 * {@code S x S} BGR and the JDK's JPEG writer encodes it. The decoder calls {@link #startChunk()},
 * {@link #offer} for every decoded picture, then {@link #takePts()} / {@link #takeJpegs()}.
 *
 * <p>Not thread-safe: one per decoder. {@link #close()} frees the native scaler and frame.
 */
public final class CaptionFrameSampler implements AutoCloseable {
  private final CaptionFramePolicy policy;
  private final AVFrame bgr;
  private SwsContext sws;
  private final BufferedImage image;
  private final byte[] imageBytes;
  private final ImageWriter writer;
  private final ImageWriteParam param;
  private final List<Long> pts = new ArrayList<>();
  private final List<byte[]> jpegs = new ArrayList<>();
  private long lastSlot = Long.MIN_VALUE;
  private boolean closed;
  private DisplayOrientation orientation = DisplayOrientation.UPRIGHT;

  public CaptionFrameSampler(CaptionFramePolicy policy) {
    this.policy = policy;
    int s = policy.imageSize();
    this.writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    this.param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(policy.jpegQuality());
    this.image = new BufferedImage(s, s, BufferedImage.TYPE_3BYTE_BGR);
    this.imageBytes = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    this.bgr = av_frame_alloc();
    bgr.width(s).height(s).format(AV_PIX_FMT_BGR24);
    if (av_frame_get_buffer(bgr, 0) < 0) {
      av_frame_free(bgr);
      writer.dispose();
      throw new OutOfMemoryError("caption frame buffer");
    }
  }

  public CaptionFramePolicy policy() {
    return policy;
  }

  /** How the pictures of the stream being decoded are turned for display (its display matrix). */
  void orient(DisplayOrientation displayOrientation) {
    orientation = displayOrientation;
  }

  /** Forgets the previous chunk's frames and slot. */
  public void startChunk() {
    pts.clear();
    jpegs.clear();
    lastSlot = Long.MIN_VALUE;
  }

  /** Encodes {@code frame} (at stream time {@code ptsUs}) if it is the first of its slot in this chunk. */
  public void offer(AVFrame frame, long ptsUs) throws DecodeException {
    long slot = Math.floorDiv(ptsUs, policy.intervalUs());
    if (slot == lastSlot) {
      return;
    }
    lastSlot = slot;
    pts.add(ptsUs);
    jpegs.add(encode(frame));
  }

  /** Resizes (bicubic) and JPEG-encodes one decoded picture of any size and pixel format. */
  public byte[] encode(AVFrame frame) throws DecodeException {
    scale(frame);
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new IllegalStateException("JPEG encoding of an in-memory image failed", e);
    } finally {
      writer.setOutput(null);
    }
    return out.toByteArray();
  }

  /** The picture resized to {@code S x S} BGR, rows packed (what gets JPEG-encoded). */
  byte[] scaledBgr(AVFrame frame) throws DecodeException {
    scale(frame);
    return imageBytes.clone();
  }

  private void scale(AVFrame frame) throws DecodeException {
    if (closed) {
      throw new IllegalStateException("caption frame sampler is closed");
    }
    // The classic swscale entry points, as the decoder's own scaling: what the ffmpeg program's
    // scale filter does with flags=bicubic. The context is rebuilt only when the input changes.
    sws = sws_getCachedContext(sws, frame.width(), frame.height(), frame.format(), policy.imageSize(),
        policy.imageSize(), AV_PIX_FMT_BGR24, SWS_BICUBIC, null, null, (DoublePointer) null);
    if (sws == null || sws.isNull()) {
      throw new DecodeException(DecodeFailure.CORRUPT, "cannot scale pixel format " + frame.format() + " for captions");
    }
    int ret = sws_scale(sws, frame.data(), frame.linesize(), 0, frame.height(), bgr.data(), bgr.linesize());
    if (ret < 0) {
      throw new DecodeException(DecodeFailure.CORRUPT, "cannot scale a caption frame: " + FfmpegErrors.describe(ret));
    }
    int s = policy.imageSize();
    int stride = bgr.linesize(0);
    for (int y = 0; y < s; y++) {
      bgr.data(0).position((long) y * stride).get(imageBytes, y * 3 * s, 3 * s);
    }
    if (orientation != DisplayOrientation.UPRIGHT) {
      byte[] upright = imageBytes.clone();
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          System.arraycopy(upright, 3 * orientation.sourceIndex(x, y, s), imageBytes, 3 * (y * s + x), 3);
        }
      }
    }
  }

  /** Stream times of this chunk's caption frames, in decoding order. */
  public long[] takePts() {
    return pts.stream().mapToLong(Long::longValue).toArray();
  }

  /** JPEG bytes of this chunk's caption frames. */
  public byte[][] takeJpegs() {
    return jpegs.toArray(new byte[0][]);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    av_frame_free(bgr);
    if (sws != null) {
      sws_freeContext(sws);
    }
    writer.dispose();
  }
}
