package dev.pestream.tests.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.console.Console;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.models.ContractBundle;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;

import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's page in a real browser (Debian's headless chromium driven by Selenium through
 * /usr/bin/chromedriver; nothing is downloaded): lanes and span bars where their times say, a live
 * span without reload, search results that jump the timeline, a hostile caption shown as text.
 * Results go straight into the output topics (no job), so their times are known exactly. Prints the
 * span-record-acknowledged → bar-drawn latency (p50/p99) and saves a screenshot in target/.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class ConsoleBrowserITCase {
  private static final String HOSTILE = "<img src=x onerror=alert(1)>";
  private static final String MODEL = "pestream/contract-pe-av";
  private static final long SECOND = 1_000_000;
  private static final int LATENCY_SAMPLES = 20;

  @TempDir Path scratch;

  @Test
  void lanesSpansLiveUpdatesSearchAndHostileText(KafkaTestClient kafka) throws Exception {
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> topics = kafka.newJobTopics("", 2);
    try (Models models = Models.open(bundle, RuntimeOptions.cpu().toBuilder().graphs("text_encoder").build());
         KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      float[] beep = models.text().embed("beep", "audio");
      float[] hum = models.text().embed("hum", "audio");
      // cam-1: a beep span 2-4 s, red then blue, the hostile caption; its window 6-8 s sounds like "beep"
      send(producer, topics.get("topics.spans"), span("cam-1", "s-beep", "beep", 2 * SECOND, 4 * SECOND));
      send(producer, topics.get("topics.spans"), span("cam-2", "s-hum", "hum", SECOND, 1_500_000L));
      send(producer, topics.get("topics.tags"), tag("cam-1", "red", TagAction.ADDED, 0));
      send(producer, topics.get("topics.tags"), tag("cam-1", "red", TagAction.REMOVED, 5 * SECOND));
      send(producer, topics.get("topics.tags"), tag("cam-1", "blue", TagAction.ADDED, 5 * SECOND));
      send(producer, topics.get("topics.captions"), caption("cam-1", 0, 2 * SECOND, HOSTILE));
      for (String stream : List.of("cam-1", "cam-2")) {
        for (int w = 0; w < 5; w++) {
          boolean beeps = stream.equals("cam-1") && w == 3;
          send(producer, topics.get("topics.embeddings"), embedding(stream, w * 2 * SECOND, beeps ? beep : hum));
        }
      }

      ConsoleSettings settings = ConsoleSettings.builder().bootstrapServers(kafka.bootstrapServers())
          .topics(JobTopicsForConsole.of(topics)).bundleDir(bundle).indexDir(scratch.resolve("index")).port(0).build();
      ChromeDriver browser = null;
      try (Console console = Console.start(settings)) {
        browser = chromium();
        // the page redraws a lane on every event: an element found a moment ago may be replaced
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);
        browser.get(console.url());
        wait.until(d -> d.findElements(By.cssSelector(".lane")).size() == 2
            && !d.findElements(By.cssSelector(".lane[data-stream-id='cam-1'] .caption")).isEmpty());
        browser.executeScript("window.loadedOnce = true;");

        // retried only when a redraw replaced an element mid-check; an assertion failure fails at once
        wait.until(d -> {
          lanesAndBars((ChromeDriver) d);
          hostileCaption((ChromeDriver) d);
          return true;
        });
        List<Long> latencies = liveSpans(browser, wait, producer, topics.get("topics.spans"));
        search(browser, wait);

        assertThat((Boolean) browser.executeScript("return window.loadedOnce === true;")).as("never reloaded").isTrue();
        browser.findElement(By.id("reset")).click(); // the whole time axis for the screenshot
        wait.until(d -> d.findElements(By.cssSelector(".highlight")).isEmpty());
        Path shot = Path.of("target", "console-screenshot.png");
        Files.createDirectories(shot.getParent());
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        Collections.sort(latencies);
        System.out.printf(Locale.ROOT, "console event→drawn latency over %d spans: p50 %d ms, p99 %d ms (screenshot %s)%n",
            latencies.size(), latencies.get(latencies.size() / 2), latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1),
            shot.toAbsolutePath());
      } finally {
        if (browser != null) {
          browser.quit();
        }
      }
    }
  }

  /** Lanes in stream order; each bar's data-times are the record's and its pixels sit where the axis puts them. */
  private static void lanesAndBars(ChromeDriver browser) {
    List<String> lanes = browser.findElements(By.cssSelector(".lane")).stream().map(l -> l.getDomAttribute("data-stream-id")).toList();
    assertThat(lanes).containsExactly("cam-1", "cam-2");
    WebElement bar = browser.findElement(By.cssSelector(".lane[data-stream-id='cam-1'] .span[data-span-id='s-beep']"));
    assertThat(bar.getText()).isEqualTo("beep");
    assertThat(bar.getDomAttribute("data-start-us")).isEqualTo(String.valueOf(2 * SECOND));
    assertThat(bar.getDomAttribute("data-end-us")).isEqualTo(String.valueOf(4 * SECOND));
    WebElement axis = browser.findElement(By.id("axis"));
    double from = Double.parseDouble(axis.getDomAttribute("data-from-us"));
    double to = Double.parseDouble(axis.getDomAttribute("data-to-us"));
    WebElement track = browser.findElement(By.cssSelector(".lane[data-stream-id='cam-1'] .track"));
    double x0 = track.getRect().getX();
    double width = track.getRect().getWidth();
    assertThat((double) bar.getRect().getX()).isCloseTo(x0 + width * (2 * SECOND - from) / (to - from), org.assertj.core.api.Assertions.within(2.0));
    assertThat((double) bar.getRect().getWidth()).isCloseTo(width * (2 * SECOND) / (to - from), org.assertj.core.api.Assertions.within(2.0));
    List<String> tags = browser.findElements(By.cssSelector(".lane[data-stream-id='cam-1'] .tag")).stream().map(WebElement::getText).toList();
    assertThat(tags).containsExactlyInAnyOrder("red", "blue");
  }

  /** The caption's characters are shown, nothing is injected, no dialog opens. */
  private static void hostileCaption(ChromeDriver browser) {
    WebElement caption = browser.findElement(By.cssSelector(".lane[data-stream-id='cam-1'] .caption"));
    assertThat(caption.getDomAttribute("title")).isEqualTo(HOSTILE);
    caption.click();
    WebElement detail = browser.findElement(By.id("detail"));
    assertThat(detail.getText()).contains(HOSTILE);
    assertThat(browser.findElements(By.tagName("img"))).isEmpty();
    assertThat(detail.findElements(By.xpath(".//*"))).isEmpty();
    assertThatThrownBy(() -> browser.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
  }

  /** Spans written while the page is open appear without reload, open ones grow, closing ends them. */
  private static List<Long> liveSpans(ChromeDriver browser, WebDriverWait wait, KafkaProducer<byte[], byte[]> producer,
                                      String topic) throws Exception {
    String live = ".span[data-span-id='live-open']";
    send(producer, topic, span("cam-2", "live-open", "hum", 6 * SECOND, null));
    assertThat(attribute(wait, live, "class")).isEqualTo("span open");
    assertThat(attribute(wait, live, "data-state")).isEqualTo("OPEN");
    send(producer, topic, span("cam-2", "live-open", "hum", 6 * SECOND, 7 * SECOND));
    wait.until(d -> "CLOSED".equals(d.findElement(By.cssSelector(live)).getDomAttribute("data-state")));
    assertThat(attribute(wait, live, "data-end-us")).isEqualTo(String.valueOf(7 * SECOND));

    List<Long> latencies = new ArrayList<>();
    for (int i = 0; i < LATENCY_SAMPLES; i++) {
      String id = "latency-" + i;
      long acknowledgedMs = send(producer, topic, span("cam-2", id, "hum", (8 + i) * SECOND / 4, (9 + i) * SECOND / 4));
      long drawnAtMs = Long.parseLong(attribute(wait, ".span[data-span-id='" + id + "']", "data-drawn-at-ms"));
      latencies.add(Math.max(0, drawnAtMs - acknowledgedMs));
    }
    return latencies;
  }

  /** "beep" lists cam-1's 6-8 s window first; clicking it jumps the timeline there. */
  private static void search(ChromeDriver browser, WebDriverWait wait) {
    browser.findElement(By.id("q")).sendKeys("beep");
    browser.findElement(By.cssSelector("#modality option[value='audio']")).click();
    browser.findElement(By.cssSelector("#search button[type='submit']")).click();
    WebElement first = wait.until(d -> d.findElements(By.cssSelector("#results li")).stream().findFirst().orElse(null));
    // the results list is not redrawn by events: its elements stay
    assertThat(first.getDomAttribute("data-stream-id")).isEqualTo("cam-1");
    assertThat(first.getDomAttribute("data-start-us")).isEqualTo(String.valueOf(6 * SECOND));
    assertThat(browser.findElements(By.cssSelector("#results li"))).hasSize(10);
    first.click();
    assertThat(attribute(wait, ".lane[data-stream-id='cam-1'] .highlight", "data-start-us")).isEqualTo(String.valueOf(6 * SECOND));
    WebElement axis = browser.findElement(By.id("axis"));
    assertThat(Long.parseLong(axis.getDomAttribute("data-from-us"))).isLessThanOrEqualTo(6 * SECOND);
    assertThat(Long.parseLong(axis.getDomAttribute("data-to-us"))).isGreaterThanOrEqualTo(8 * SECOND).isLessThan(20 * SECOND);
  }

  /** The attribute of the element {@code css} selects, once there is one (read in one go: lanes are redrawn). */
  private static String attribute(WebDriverWait wait, String css, String name) {
    return wait.until(d -> d.findElements(By.cssSelector(css)).stream().findFirst().map(e -> e.getDomAttribute(name)).orElse(null));
  }

  /** Debian's chromium through Debian's chromedriver, headless; Selenium Manager has nothing to look up. */
  private static ChromeDriver chromium() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1400,700", "--no-first-run", "--disable-extensions", "--disable-background-networking");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  private static long send(KafkaProducer<byte[], byte[]> producer, String topic, SpecificRecordBase record) throws Exception {
    String stream = String.valueOf(record.get("streamId"));
    @SuppressWarnings("unchecked")
    RecordCodec<SpecificRecordBase> codec = (RecordCodec<SpecificRecordBase>) RecordCodec.of(record.getClass());
    producer.send(new ProducerRecord<>(topic, stream.getBytes(StandardCharsets.UTF_8), codec.encode(record))).get();
    return System.currentTimeMillis();
  }

  private static EventSpan span(String stream, String id, String prompt, long startUs, Long endUs) {
    return EventSpan.newBuilder().setSpanId(id).setStreamId(stream).setPromptId(prompt).setPromptText(prompt)
        .setStartUs(startUs).setEndUs(endUs).setState(endUs == null ? SpanState.OPEN : SpanState.CLOSED)
        .setPeakScore(0.9f).setMeanScore(0.8f).setThreshold(0.3f).setModelId(MODEL).setModelVersion("1.0.0").build();
  }

  private static TagEvent tag(String stream, String tag, TagAction action, long startUs) {
    return TagEvent.newBuilder().setStreamId(stream).setVocabularyId("colours").setTag(tag).setAction(action)
        .setWindowStartUs(startUs).setWindowEndUs(startUs + 2 * SECOND).setScore(0.9f).setModelId(MODEL).build();
  }

  private static Caption caption(String stream, long startUs, long endUs, String text) {
    return Caption.newBuilder().setStreamId(stream).setWindowStartUs(startUs).setWindowEndUs(endUs)
        .setStatus(CaptionStatus.OK).setText(text).setPrompt("Describe").setModel("plm-test").setFrameCount(2)
        .setAttempts(1).setLatencyMs(10).setPromptTokens(1).setCompletionTokens(1).setTruncated(false).build();
  }

  private static Embedding embedding(String stream, long startUs, float[] vector) {
    List<Float> values = new ArrayList<>();
    for (float v : vector) {
      values.add(v);
    }
    return ContractEmbeddings.audio(stream, startUs, startUs + 2 * SECOND, values);
  }
}
