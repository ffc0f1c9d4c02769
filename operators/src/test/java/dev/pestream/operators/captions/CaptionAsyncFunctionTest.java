package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.plm.CaptionOutcome;
import dev.pestream.operators.testing.FakePlmServer.Fault;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.operators.testing.TestJpegs;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.schemas.DeadLetter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Async I/O caption operator driven by Flink's test harness against a local PLM server. */
class CaptionAsyncFunctionTest {
  private static final String MODEL = "facebook/Perception-LM-1B";
  private static final long S = 1_000_000L;

  private FakePlmServer server;
  /** The metrics of the latest harness. */
  private InterceptingOperatorMetricGroup metrics;

  @BeforeEach
  void startServer() throws Exception {
    server = FakePlmServer.start(new FakePlmServer.Expectations(MODEL, null, 448, 32));
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  private CaptionSettings.Builder settings() {
    return CaptionSettings.builder().server(s -> s.endpoint(server.baseUrl()).model(MODEL))
        .calls(c -> c.maxConcurrentRequests(4).requestsPerSecond(100).initialBackoff(Duration.ofMillis(20))
            .maxBackoff(Duration.ofMillis(50)).requestTimeout(Duration.ofSeconds(5)).captionTimeout(Duration.ofSeconds(20))
            .asyncCapacity(8));
  }

  static CaptionRequest request(String stream, long window, int frames) {
    CaptionRequest r = new CaptionRequest();
    r.streamId = stream;
    r.window = window;
    r.windowStartUs = window * 10 * S;
    r.windowEndUs = r.windowStartUs + 10 * S;
    r.frames = new CaptionFrame[frames];
    for (int i = 0; i < frames; i++) {
      r.frames[i] = new CaptionFrame(r.windowStartUs + i * S, TestJpegs.solid(448, 20 * i, 100, 200));
    }
    return r;
  }

  private OneInputStreamOperatorTestHarness<CaptionRequest, Caption> harness(CaptionSettings s) throws Exception {
    InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    this.metrics = metrics;
    MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(
        new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> extra) {
            return metrics;
          }
        }).build();
    TypeSerializer<CaptionRequest> in =
        TypeInformation.of(CaptionRequest.class).createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
    var h = new OneInputStreamOperatorTestHarness<>(new AsyncWaitOperatorFactory<>(new CaptionAsyncFunction(s),
        s.asyncTimeout().toMillis(), s.calls().asyncCapacity(), AsyncDataStream.OutputMode.UNORDERED), in, env);
    h.setup(new CaptionAsyncFunction(s).getProducedType().createSerializer(h.getExecutionConfig().getSerializerConfig()));
    return h;
  }

  /** Runs the harness's mailbox (where Async I/O emits completed results) until {@code done} or 30 s. */
  private static void await(OneInputStreamOperatorTestHarness<?, ?> h, BooleanSupplier done) throws Exception {
    TaskMailbox mailbox = h.getTaskMailbox();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
      if (mail.isPresent()) {
        mail.get().run();
      } else {
        Thread.sleep(5);
      }
    }
    assertThat(done.getAsBoolean()).as("harness reached the expected state in time").isTrue();
  }

  @Test
  void completesEveryWindowWithItsCaptionAndCountsTheWork() throws Exception {
    server.script(Fault.TOO_MANY_REQUESTS, Fault.SERVER_ERROR);
    CaptionSettings s = settings().prompts(p -> p.streamPrompt("cam-2", "Who is there?")).build();
    try (var h = harness(s)) {
      h.open();
      h.processElement(new StreamRecord<>(request("cam-1", 0, 10), 1));
      h.processElement(new StreamRecord<>(request("cam-1", 1, 3), 2));
      h.processElement(new StreamRecord<>(request("cam-2", 0, 1), 3));
      await(h, () -> h.extractOutputValues().size() == 3);
      List<Caption> out = h.extractOutputValues();
      assertThat(out).allSatisfy(c -> {
        assertThat(c.getStatus()).isEqualTo(CaptionStatus.OK);
        assertThat(c.getModel()).isEqualTo(MODEL);
        assertThat(c.getText()).startsWith(c.getFrameCount() + " frames of 448x448").endsWith("asked: " + c.getPrompt());
        assertThat(FakePlmServer.coloursOf(c.getText())).hasSize(c.getFrameCount());
      });
      Caption cam2 = out.stream().filter(c -> c.getStreamId().equals("cam-2")).findFirst().orElseThrow();
      assertThat(cam2.getPrompt()).isEqualTo("Who is there?");
      assertThat(out).extracting(c -> c.getStreamId() + "@" + c.getWindowStartUs())
          .containsExactlyInAnyOrder("cam-1@0", "cam-1@10000000", "cam-2@0");
      assertThat(out.stream().mapToInt(Caption::getAttempts).sum()).isEqualTo(5);

      assertThat(((Counter) metrics.get(CaptionMetrics.REQUESTS)).getCount()).isEqualTo(5);
      assertThat(((Counter) metrics.get(CaptionMetrics.RETRIES)).getCount()).isEqualTo(2);
      assertThat(((Counter) metrics.get(CaptionMetrics.CAPTIONS_OK)).getCount()).isEqualTo(3);
      assertThat(((Counter) metrics.get(CaptionMetrics.PROMPT_TOKENS)).getCount())
          .isEqualTo(out.stream().mapToLong(Caption::getPromptTokens).sum()).isGreaterThan(14 * 256);
      assertThat(((Counter) metrics.get(CaptionMetrics.COMPLETION_TOKENS)).getCount()).isPositive();
      assertThat(((Histogram) metrics.get(CaptionMetrics.REQUEST_LATENCY_MS)).getCount()).isEqualTo(5);
      assertThat(((Gauge<?>) metrics.get(CaptionMetrics.BREAKER_STATE)).getValue()).isEqualTo(0);
    }
  }

  @Test
  void aWindowThatCannotBeCaptionedBecomesAnErrorCaptionAndADeadLetter() throws Exception {
    server.pattern(n -> Fault.SERVER_ERROR);
    CaptionSettings s = settings().calls(c -> c.maxAttempts(2)).build();
    List<Caption> captions;
    try (var h = harness(s)) {
      h.open();
      h.processElement(new StreamRecord<>(request("cam-1", 4, 2), 1));
      await(h, () -> h.extractOutputValues().size() == 1);
      captions = h.extractOutputValues();
    }
    Caption error = captions.get(0);
    assertThat(error.getStatus()).isEqualTo(CaptionStatus.ERROR);
    assertThat(error.getErrorClass()).isEqualTo(CaptionOutcome.RETRIES_EXHAUSTED);
    assertThat(error.getText()).isNull();
    assertThat(error.getAttempts()).isEqualTo(2);
    assertThat(((Counter) metrics.get(CaptionMetrics.CAPTIONS_FAILED)).getCount()).isEqualTo(1);

    try (var split = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new CaptionDeadLetters()))) {
      split.setup(new CaptionDeadLetters().getProducedType().createSerializer(split.getExecutionConfig().getSerializerConfig()));
      split.open();
      split.processElement(new StreamRecord<>(error));
      assertThat(split.extractOutputValues()).containsExactly(error);
      List<DeadLetter> letters = new ArrayList<>();
      split.getSideOutput(DeadLetters.TAG).forEach(r -> letters.add(r.getValue()));
      assertThat(letters).hasSize(1);
      DeadLetter letter = letters.get(0);
      assertThat(letter.getStage()).isEqualTo(CaptionDeadLetters.STAGE);
      assertThat(letter.getErrorClass()).isEqualTo(CaptionOutcome.RETRIES_EXHAUSTED);
      assertThat(letter.getStreamId()).isEqualTo("cam-1");
      assertThat(letter.getReason()).contains("[40000000, 50000000)").contains("HTTP 500");
    }
  }

  @Test
  void windowsInFlightAtACheckpointAreCaptionedOnceAfterTheRestore() throws Exception {
    AtomicBoolean stalled = new AtomicBoolean(false);
    server.pattern(n -> stalled.get() ? Fault.STALL : Fault.NONE).stallFor(Duration.ofSeconds(5));
    CaptionSettings s = settings().calls(c -> c.requestTimeout(Duration.ofSeconds(10))).build();
    OperatorSubtaskState snapshot;
    List<Caption> before;
    try (var h = harness(s)) {
      h.open();
      h.processElement(new StreamRecord<>(request("cam-1", 0, 2), 1));
      await(h, () -> h.extractOutputValues().size() == 1);
      stalled.set(true);
      h.processElement(new StreamRecord<>(request("cam-1", 1, 2), 2));
      h.processElement(new StreamRecord<>(request("cam-2", 0, 2), 3));
      await(h, () -> server.requestCount() == 3); // both are on the wire, unanswered
      snapshot = h.snapshot(1, 10);
      before = h.extractOutputValues();
    }
    stalled.set(false);
    try (var h = harness(s)) {
      h.initializeState(snapshot);
      h.open();
      await(h, () -> h.extractOutputValues().size() == 2);
      List<String> all = new ArrayList<>();
      before.forEach(c -> all.add(c.getStreamId() + "@" + c.getWindowStartUs()));
      h.extractOutputValues().forEach(c -> all.add(c.getStreamId() + "@" + c.getWindowStartUs()));
      assertThat(all).containsExactlyInAnyOrder("cam-1@0", "cam-1@10000000", "cam-2@0");
      assertThat(h.extractOutputValues()).allSatisfy(c -> assertThat(c.getStatus()).isEqualTo(CaptionStatus.OK));
      Thread.sleep(200);
      assertThat(h.extractOutputValues()).hasSize(2);
    }
    assertThat(server.requestCount()).isEqualTo(5);
  }
}
