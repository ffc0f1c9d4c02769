package dev.pestream.media;

import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;

import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.Pointer;

/**
 * Lets static JavaCPP callbacks find the Java object FFmpeg calls them for. Each callback is one
 * static function pointer per class (not one per object); FFmpeg hands it back the opaque pointer
 * the object was set up with, a native token whose address this registry maps to the object.
 *
 * @param <T> the objects the callbacks serve
 */
public final class OpaqueRegistry<T> {
  private final ConcurrentHashMap<Long, T> live = new ConcurrentHashMap<>();

  /** Allocates a new token for {@code owner}; {@link #release} frees it. */
  public Pointer register(T owner) {
    // FFmpeg treats a custom AVIOContext's opaque as a URLContext when it searches options
    // (avio_child_next): zeroed memory reads as "no AVClass" and is skipped safely.
    Pointer token = av_mallocz(64);
    live.put(token.address(), owner);
    return token;
  }

  /** The owner of {@code opaque}, or null when it is null or already released. */
  public T lookup(Pointer opaque) {
    return opaque == null ? null : live.get(opaque.address());
  }

  /** Forgets and frees {@code token}; releasing it again does nothing. */
  public void release(Pointer token) {
    if (live.remove(token.address()) != null) {
      av_free(token);
    }
  }
}
