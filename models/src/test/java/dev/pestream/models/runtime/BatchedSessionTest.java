package dev.pestream.models.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.models.TestBundles;
import dev.pestream.models.Models;
import dev.pestream.models.Signals;
import dev.pestream.models.metrics.BatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Dynamic batching semantics on real ONNX Runtime sessions of the contract bundle. */
class BatchedSessionTest {

  private static Models open(String graph, BatchingOptions batching) {
    return Models.open(TestBundles.dir(), RuntimeOptions.builder().providers(ExecutionProvider.CPU)
        .graphs(graph).batching(graph, batching).build());
  }

  private static Map<String, ItemTensor> waveform(int samples) {
    return Map.of("waveform", ItemTensor.floats(new float[samples], 1, samples));
  }

  @Test
  void requestsFromSeveralThreadsCombineIntoBatchesUpToMaxBatch() throws Exception {
    try (Models models = open("audio_codec", new BatchingOptions(4, Duration.ofSeconds(2), 64, 1))) {
      BatchedSession session = models.session("audio_codec");
      List<BatchEvent> events = new CopyOnWriteArrayList<>();
      session.addListener(events::add);
      CountDownLatch start = new CountDownLatch(1);
      List<CompletableFuture<ItemResult>> results = new CopyOnWriteArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        Thread thread = new Thread(() -> {
          try {
            start.await();
            results.add(session.submit(waveform(1920 * 2)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        thread.start();
        threads.add(thread);
      }
      start.countDown();
      for (Thread thread : threads) {
        thread.join();
      }
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(results).hasSize(8).allSatisfy(r -> assertThat(r.join().batchSize()).isEqualTo(4));
      awaitSize(events, 2); // listeners run right after the futures complete
      assertThat(events).extracting(BatchEvent::batchSize).containsExactly(4, 4);
      assertThat(session.metrics().batchSize().getStatistics().getMax()).isEqualTo(4);
    }
  }

  static void awaitSize(List<?> list, int size) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (list.size() < size && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void aLoneRequestWaitsMaxWaitThenRunsAlone() throws Exception {
    try (Models models = open("audio_codec", new BatchingOptions(8, Duration.ofMillis(2000), 64, 1))) {
      BatchedSession session = models.session("audio_codec");
      List<BatchEvent> events = new CopyOnWriteArrayList<>();
      session.addListener(events::add);
      long t0 = System.nanoTime();
      ItemResult r = session.submit(waveform(1920)).get(10, TimeUnit.SECONDS);
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(r.batchSize()).isEqualTo(1);
      assertThat(elapsedMs).isGreaterThanOrEqualTo(2000L);
      // listeners hear of a batch after its futures complete
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (events.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(events.get(0).queueWaitNanos()[0])).isGreaterThanOrEqualTo(1999L);
    }
    try (Models models = open("audio_codec", new BatchingOptions(8, Duration.ZERO, 64, 1))) {
      long t0 = System.nanoTime();
      models.session("audio_codec").submit(waveform(1920)).get(10, TimeUnit.SECONDS);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("maxWait 0 does not wait").isLessThan(1500L);
    }
  }

  /** Variable lengths padded and masked in one batch give the same answers as each request alone. */
  @Test
  void paddedBatchesAnswerLikeSingleRequests() {
    BatchingOptions batched = new BatchingOptions(16, Duration.ofMillis(300), 64, 1);
    BatchingOptions single = new BatchingOptions(1, Duration.ZERO, 64, 1);
    RuntimeOptions.Builder base = RuntimeOptions.builder().providers(ExecutionProvider.CPU);
    try (Models many = Models.open(TestBundles.dir(), base.batching(batched).build());
         Models one = Models.open(TestBundles.dir(), base.batching(single).build())) {
      int[] lengths = {3, 7, 1, 12, 5};
      List<float[][]> features = new ArrayList<>();
      List<float[][]> video = new ArrayList<>();
      for (int i = 0; i < lengths.length; i++) {
        features.add(one.audioCodec().encode(Signals.tone(lengths[i], 200 + 300 * i, 500, lengths[i] * 1920 - 100, 0.3)));
        video.add(Signals.randomRows(lengths[(i + 2) % lengths.length], 1024, i));
      }
      List<CompletableFuture<float[]>> audioEmb = new ArrayList<>();
      List<CompletableFuture<float[][]>> frameEmb = new ArrayList<>();
      List<CompletableFuture<float[]>> videoEmb = new ArrayList<>();
      List<CompletableFuture<float[]>> avEmb = new ArrayList<>();
      List<CompletableFuture<float[][]>> codec = new ArrayList<>();
      for (int i = 0; i < lengths.length; i++) {
        audioEmb.add(many.audioEncoder().embedAsync(features.get(i)));
        frameEmb.add(many.frameLevelAudio().embedAsync(features.get(i)));
        videoEmb.add(many.videoEncoder().embedAsync(video.get(i)));
        avEmb.add(many.avEncoder().embedAsync(features.get(i), video.get(i)));
        codec.add(many.audioCodec().encodeAsync(Signals.noise(lengths[i], 0.2, i)));
      }
      for (int i = 0; i < lengths.length; i++) {
        assertThat(audioEmb.get(i).join()).containsExactly(one.audioEncoder().embed(features.get(i)), within(1e-5f));
        assertRows(frameEmb.get(i).join(), one.frameLevelAudio().embed(features.get(i)));
        assertThat(videoEmb.get(i).join()).containsExactly(one.videoEncoder().embed(video.get(i)), within(1e-5f));
        assertThat(avEmb.get(i).join()).containsExactly(one.avEncoder().embed(features.get(i), video.get(i)),
            within(1e-5f));
        assertRows(codec.get(i).join(), one.audioCodec().encode(Signals.noise(lengths[i], 0.2, i)));
      }
      for (String graph : List.of("audio_encoder", "frame_level_audio", "video_encoder", "av_encoder")) {
        assertThat(many.session(graph).metrics().batchSize().getStatistics().getMax()).as(graph).isGreaterThan(1);
        assertThat(one.session(graph).metrics().batchSize().getStatistics().getMax()).as(graph).isEqualTo(1);
      }
      // Text prompts of different token lengths in one batch.
      String[] prompts = {"beep", "a loud red hum", "silence", "blue noise and a quiet beep"};
      List<CompletableFuture<float[]>> text = new ArrayList<>();
      for (String p : prompts) {
        text.add(many.text().embedAsync(p, "audio_video"));
      }
      for (int i = 0; i < prompts.length; i++) {
        assertThat(text.get(i).join()).containsExactly(one.text().embed(prompts[i], "audio_video"), within(1e-6f));
      }
    }
  }

  private static void assertRows(float[][] actual, float[][] expected) {
    assertThat(actual).hasNumberOfRows(expected.length);
    for (int r = 0; r < expected.length; r++) {
      assertThat(actual[r]).containsExactly(expected[r], within(1e-5f));
    }
  }

  /** 2500 samples is not a multiple of the hop: the codec's Reshape fails that batch, and only that batch. */
  @Test
  void aFailingBatchFailsOnlyItsOwnRequests() {
    try (Models models = open("audio_codec", new BatchingOptions(2, Duration.ofSeconds(1), 64, 1))) {
      BatchedSession session = models.session("audio_codec");
      List<CompletableFuture<ItemResult>> r = new ArrayList<>();
      r.add(session.submit(waveform(1920)));
      r.add(session.submit(waveform(1920)));
      r.add(session.submit(waveform(2500)));
      r.add(session.submit(waveform(2500)));
      r.add(session.submit(waveform(5760)));
      r.add(session.submit(waveform(5760)));
      assertThat(r.get(0).join().batchSize()).isEqualTo(2);
      assertThat(r.get(1).join().shape("features")).containsExactly(1, 128);
      for (int i : new int[] {2, 3}) {
        assertThatThrownBy(r.get(i)::join).isInstanceOf(CompletionException.class)
            .cause().isInstanceOf(ModelRunException.class)
            .hasMessageContaining("graph 'audio_codec' of pestream/contract-pe-av@1.0.0: batch of 2 failed");
      }
      assertThat(r.get(4).join().batchSize()).isEqualTo(2);
      assertThat(r.get(5).join().shape("features")).containsExactly(3, 128);
      assertThat(session.metrics().failedBatches().getCount()).isEqualTo(1);
      assertThat(session.metrics().batches().getCount()).isEqualTo(3);
      // The session keeps working afterwards.
      CompletableFuture<float[][]> again = models.audioCodec().encodeAsync(new float[1920]);
      assertThat(models.audioCodec().encode(new float[3840])).hasNumberOfRows(2);
      assertThat(again.join()).hasNumberOfRows(1);
    }
  }

  @Test
  void fullQueueBlocksSubmitUntilThereIsRoom() throws Exception {
    try (Models models = open("audio_codec", new BatchingOptions(1, Duration.ZERO, 2, 1))) {
      BatchedSession session = models.session("audio_codec");
      CountDownLatch inFirstBatch = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      session.addListener(e -> {
        inFirstBatch.countDown();
        try {
          release.await();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      });
      List<CompletableFuture<ItemResult>> results = new CopyOnWriteArrayList<>();
      results.add(session.submit(waveform(1920)));
      assertThat(inFirstBatch.await(10, TimeUnit.SECONDS)).isTrue(); // the worker is held in the listener
      results.add(session.submit(waveform(1920)));
      results.add(session.submit(waveform(1920)));
      assertThat(session.queueDepth()).isEqualTo(2);
      Thread blocked = new Thread(() -> results.add(session.submit(waveform(1920))));
      blocked.start();
      blocked.join(300);
      assertThat(blocked.isAlive()).as("submit blocks on a full queue").isTrue();
      assertThat(session.queueDepth()).isEqualTo(2);
      assertThat(results).hasSize(3);
      release.countDown();
      blocked.join(10_000);
      assertThat(blocked.isAlive()).isFalse();
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(results).hasSize(4);
      // the worker counts a batch's requests after completing its futures
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (session.metrics().requests().getCount() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(session.metrics().requests().getCount()).isEqualTo(4);
    }
  }

  @Test
  void aGraphWithoutAMaskBatchesOnlyRequestsOfTheSameLength() throws Exception {
    try (Models models = open("audio_codec", new BatchingOptions(8, Duration.ofMillis(200), 16, 1))) {
      BatchedSession session = models.session("audio_codec");
      CountDownLatch inFirstBatch = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<Integer> sizes = new CopyOnWriteArrayList<>();
      session.addListener(e -> {
        sizes.add(e.batchSize());
        inFirstBatch.countDown();
        try {
          release.await();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      });
      List<CompletableFuture<ItemResult>> results = new ArrayList<>();
      results.add(session.submit(waveform(2 * 1920)));
      assertThat(inFirstBatch.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 3; i++) {
        results.add(session.submit(waveform(3 * 1920)));
        results.add(session.submit(waveform(2 * 1920)));
      }
      release.countDown();
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // listeners hear of a batch last
      while (sizes.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      // the first (2 frames) ran alone; then the 3-frame requests together, then the 2-frame ones
      assertThat(sizes).containsExactly(1, 3, 3);
      assertThat(results.get(1).get().get("features")).hasSize(3 * 128);
      assertThat(results.get(2).get().get("features")).hasSize(2 * 128);
    }
  }

  @Test
  void aSliceOfALargerArrayAnswersLikeACopyOfIt() {
    try (Models models = open("audio_codec", BatchingOptions.defaults())) {
      BatchedSession session = models.session("audio_codec");
      float[] two = Signals.noise(6, 0.3, 7); // 6 frames of 1920 samples
      float[] second = java.util.Arrays.copyOfRange(two, 1920 * 3, 2 * 1920 * 3);
      float[] copied = session.submit(Map.of("waveform", ItemTensor.floats(second, 1, second.length))).join()
          .get("features");
      float[] sliced = session.submit(Map.of("waveform", ItemTensor.floatSlice(two, 1920 * 3, 1, 1920 * 3))).join()
          .get("features");
      assertThat(sliced).containsExactly(copied);
      assertThatThrownBy(() -> ItemTensor.floatSlice(two, 1920 * 4, 1, 1920 * 3))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
    }
  }

  @Test
  void malformedRequestsAreRejectedAtSubmit() {
    try (Models models = open("audio_encoder", BatchingOptions.defaults())) {
      BatchedSession s = models.session("audio_encoder");
      assertThatThrownBy(() -> s.submit(Map.of("audio_features", ItemTensor.floats(new float[128], 1, 128))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes inputs [audio_features, audio_mask]");
      assertThatThrownBy(() -> s.submit(Map.of("audio_features", ItemTensor.floats(new float[64], 1, 64),
          "audio_mask", ItemTensor.fullMask(1))))
          .hasMessageContaining("input 'audio_features': dimension '2' must be 128, got 64");
      assertThatThrownBy(() -> s.submit(Map.of("audio_features", ItemTensor.floats(new float[256], 2, 128),
          "audio_mask", ItemTensor.fullMask(3))))
          .hasMessageContaining("input 'audio_mask': dimension 'frames' is 3 but another input has 2");
      assertThatThrownBy(() -> s.submit(Map.of("audio_features", ItemTensor.floats(new float[128], 1, 128),
          "audio_mask", ItemTensor.longs(new long[1], 1))))
          .hasMessageContaining("input 'audio_mask' needs bool, got int64");
      assertThatThrownBy(() -> models.audioEncoder().embed(new float[0][]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no rows");
      assertThatThrownBy(() -> ItemTensor.floats(new float[5], 2, 3)).hasMessageContaining("holds 6 elements");
    }
  }

  @Test
  void closingFailsQueuedRequestsAndRefusesNewOnes() {
    Models models = open("audio_codec", new BatchingOptions(64, Duration.ofSeconds(30), 64, 1));
    BatchedSession session = models.session("audio_codec");
    CompletableFuture<ItemResult> waiting = session.submit(waveform(1920));
    models.close();
    assertThat(session.isClosed()).isTrue();
    assertThatThrownBy(waiting::join).cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> session.submit(waveform(1920))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(models::audioCodec).isInstanceOf(IllegalStateException.class);
  }
}
