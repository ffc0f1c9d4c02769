package dev.pestream.models;

import dev.pestream.models.bundle.MediaSpecs;
import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@code audio_codec}: mono waveform at the bundle's sample rate -> one feature row per hop (40 ms). */
public final class AudioCodec extends RoleClient {
  private final MediaSpecs.Audio audio;

  AudioCodec(BatchedSession session, MediaSpecs.Audio audio) {
    super(session);
    this.audio = audio;
  }

  /** Features {@code [waveform.length / hopSamples][featureDim]}; the length must be a positive multiple of the hop. */
  public float[][] encode(float[] waveform) {
    return ModelCalls.await(encodeAsync(waveform));
  }

  public CompletableFuture<float[][]> encodeAsync(float[] waveform) {
    int hop = audio.hopSamples();
    if (waveform.length == 0 || waveform.length % hop != 0) {
      throw new IllegalArgumentException("audio_codec needs a positive multiple of " + hop + " samples, got "
          + waveform.length);
    }
    int frames = waveform.length / hop;
    return submit(Map.of("waveform", ItemTensor.floats(waveform, 1, waveform.length)))
        .thenApply(r -> rows(r.get("features"), frames, audio.featureDim()));
  }

  public MediaSpecs.Audio audio() {
    return audio;
  }
}
