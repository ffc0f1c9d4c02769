package dev.pestream.operators.decode;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_DISPLAYMATRIX;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_side_data_get;
import static org.bytedeco.ffmpeg.global.avutil.av_display_rotation_get;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacketSideData;
import org.bytedeco.javacpp.IntPointer;

/**
 * How a picture is turned for display, from the stream's display matrix (phones record portrait
 * video as landscape pictures plus a 90° matrix), decided as the ffmpeg program's autorotation
 * does: quarter turns, with or without a mirror, and flips. Other angles are rare and left
 * as they are (the program inserts a rotate filter that fills corners).
 *
 * <p>Applied to the square model picture: resizing W x H to S x S and then turning gives the same
 * picture as turning and then resizing, since the resize has no aspect to keep.
 */
enum DisplayOrientation {
  /** No display matrix, or the identity. */
  UPRIGHT,
  /** ffmpeg's transpose=clock: a quarter turn clockwise. */
  CLOCKWISE,
  /** transpose=cclock: a quarter turn counter-clockwise. */
  COUNTER_CLOCKWISE,
  /** transpose=clock_flip: clockwise, then mirrored top to bottom. */
  CLOCKWISE_FLIPPED,
  /** transpose=cclock_flip: counter-clockwise, then mirrored top to bottom (a transpose). */
  COUNTER_CLOCKWISE_FLIPPED,
  /** Half a turn (hflip + vflip). */
  HALF_TURN,
  HORIZONTAL_FLIP,
  VERTICAL_FLIP;

  /** The orientation the stream's display matrix asks for ({@link #UPRIGHT} without one). */
  static DisplayOrientation of(AVCodecParameters parameters) {
    AVPacketSideData side = av_packet_side_data_get(
        parameters.coded_side_data(), parameters.nb_coded_side_data(), AV_PKT_DATA_DISPLAYMATRIX);
    if (side == null || side.isNull() || side.size() < 9 * 4) {
      return UPRIGHT;
    }
    int[] matrix = new int[9];
    new IntPointer(side.data()).get(matrix);
    return of(matrix);
  }

  /** As fftools' get_rotation and its choice of filters (FFmpeg 5.1 to 8). */
  static DisplayOrientation of(int[] matrix) {
    double theta = -Math.round(av_display_rotation_get(matrix));
    theta -= 360 * Math.floor(theta / 360 + 0.9 / 360);
    if (Math.abs(theta - 90) < 1) {
      return matrix[3] > 0 ? COUNTER_CLOCKWISE_FLIPPED : CLOCKWISE;
    }
    if (Math.abs(theta - 270) < 1) {
      return matrix[3] < 0 ? CLOCKWISE_FLIPPED : COUNTER_CLOCKWISE;
    }
    if (Math.abs(theta - 180) < 1) {
      boolean h = matrix[0] < 0;
      boolean v = matrix[4] < 0;
      return h && v ? HALF_TURN : h ? HORIZONTAL_FLIP : v ? VERTICAL_FLIP : UPRIGHT;
    }
    if (Math.abs(theta) < 1 && matrix[4] < 0) {
      return VERTICAL_FLIP;
    }
    return UPRIGHT;
  }

  /**
   * Index in the source picture of output pixel ({@code x}, {@code y}) of a square {@code s x s}
   * picture: output row y, column x.
   */
  int sourceIndex(int x, int y, int s) {
    int last = s - 1;
    return switch (this) {
      case UPRIGHT -> y * s + x;
      case CLOCKWISE -> (last - x) * s + y;
      case COUNTER_CLOCKWISE -> x * s + (last - y);
      case CLOCKWISE_FLIPPED -> (last - x) * s + (last - y);
      case COUNTER_CLOCKWISE_FLIPPED -> x * s + y;
      case HALF_TURN -> (last - y) * s + (last - x);
      case HORIZONTAL_FLIP -> y * s + (last - x);
      case VERTICAL_FLIP -> (last - y) * s + x;
    };
  }
}
