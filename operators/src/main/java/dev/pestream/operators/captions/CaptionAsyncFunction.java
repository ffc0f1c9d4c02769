package dev.pestream.operators.captions;

import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.connectors.plm.CaptionOutcome;
import dev.pestream.connectors.plm.CaptionService;
import dev.pestream.connectors.plm.ChatCompletions;
import dev.pestream.models.metrics.WindowHistogram;
import dev.pestream.schemas.Caption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Flink Async I/O function: asks the PLM server for one caption per window through the JVM-wide
 * {@link CaptionService} and completes with a {@link Caption} record — OK with the text, or ERROR
 * with the reason once the call fails for good (never an exception, so a dead server never fails
 * the job). Flink checkpoints the windows in flight and re-asks for them after a restore.
 */
public class CaptionAsyncFunction extends RichAsyncFunction<CaptionRequest, Caption>
    implements ResultTypeQueryable<Caption> {
  private static final long serialVersionUID = 1L;

  /** Latency histogram window (the last N attempts). */
  static final int HISTOGRAM_SIZE = 1024;

  private final CaptionSettings settings;

  private transient CaptionService service;
  private transient Map<String, CaptionService.Call> inFlight;
  private transient Histogram latency;
  private transient Counter requests;
  private transient Counter retries;
  private transient Counter promptTokens;
  private transient Counter completionTokens;
  private transient Counter ok;
  private transient Counter failed;

  public CaptionAsyncFunction(CaptionSettings settings) {
    this.settings = settings;
  }

  @Override
  public void open(OpenContext openContext) {
    service = CaptionService.acquire(settings.server(), settings.calls());
    inFlight = new ConcurrentHashMap<>();
    MetricGroup metrics = getRuntimeContext().getMetricGroup();
    latency = metrics.histogram(CaptionMetrics.REQUEST_LATENCY_MS, new WindowHistogram(HISTOGRAM_SIZE));
    requests = metrics.counter(CaptionMetrics.REQUESTS, new ThreadSafeSimpleCounter());
    retries = metrics.counter(CaptionMetrics.RETRIES, new ThreadSafeSimpleCounter());
    promptTokens = metrics.counter(CaptionMetrics.PROMPT_TOKENS, new ThreadSafeSimpleCounter());
    completionTokens = metrics.counter(CaptionMetrics.COMPLETION_TOKENS, new ThreadSafeSimpleCounter());
    ok = metrics.counter(CaptionMetrics.CAPTIONS_OK, new ThreadSafeSimpleCounter());
    failed = metrics.counter(CaptionMetrics.CAPTIONS_FAILED, new ThreadSafeSimpleCounter());
    CaptionService shared = service;
    metrics.gauge(CaptionMetrics.BREAKER_STATE, () -> shared.breakerState().code);
  }

  @Override
  public void asyncInvoke(CaptionRequest request, ResultFuture<Caption> resultFuture) {
    String prompt = settings.prompts().promptFor(request.streamId);
    List<byte[]> jpegs = new ArrayList<>(request.frames.length);
    for (CaptionFrame f : request.frames) {
      jpegs.add(f.jpeg);
    }
    CaptionService.Call call = service.submit(
        () -> ChatCompletions.requestBody(settings.server().model(), prompt, jpegs, settings.prompts().maxTokens(),
            settings.prompts().temperature()),
        settings.calls().maxAttempts(), settings.calls().captionTimeout(), listener());
    String key = key(request);
    inFlight.put(key, call);
    call.result().thenAccept(outcome -> {
      inFlight.remove(key, call);
      count(outcome);
      resultFuture.complete(List.of(CaptionRecords.of(request, settings.server().model(), prompt, outcome)));
    });
  }

  /** Flink's own timeout, a backstop behind the caption deadline: still an ERROR caption, not a failure. */
  @Override
  public void timeout(CaptionRequest request, ResultFuture<Caption> resultFuture) {
    CaptionService.Call call = inFlight.remove(key(request));
    if (call != null) {
      call.cancel("Flink's async timeout");
    }
    CaptionOutcome outcome = CaptionOutcome.error(CaptionOutcome.DEADLINE,
        "no caption within the async timeout of " + settings.asyncTimeout().toMillis() + " ms", 0,
        settings.asyncTimeout().toMillis());
    count(outcome);
    resultFuture.complete(List.of(
        CaptionRecords.of(request, settings.server().model(), settings.prompts().promptFor(request.streamId), outcome)));
  }

  @Override
  public void close() {
    if (inFlight != null) {
      // The calls are abandoned: after a restore Flink re-submits the windows from its checkpoint.
      inFlight.values().forEach(c -> c.cancel("the caption operator closed"));
      inFlight.clear();
    }
    if (service != null) {
      service.release();
      service = null;
    }
  }

  @Override
  public TypeInformation<Caption> getProducedType() {
    return RecordTypeInfo.forRecord(Caption.class);
  }

  private CaptionService.Listener listener() {
    return new CaptionService.Listener() {
      @Override
      public void attempt(long nanos, String result) {
        requests.inc();
        latency.update(nanos / 1_000_000);
      }

      @Override
      public void retry() {
        retries.inc();
      }
    };
  }

  private void count(CaptionOutcome outcome) {
    if (outcome.ok()) {
      ok.inc();
      promptTokens.inc(outcome.promptTokens());
      completionTokens.inc(outcome.completionTokens());
    } else {
      failed.inc();
    }
  }

  private static String key(CaptionRequest request) {
    return request.streamId + "@" + request.windowStartUs;
  }
}
