package dev.pestream.testing.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One scrape of Prometheus endpoints (text exposition format 0.0.4), as a Prometheus server would
 * do it: {@code name{label="value",...} value} samples.
 */
public final class PrometheusScrape {
  /** One sample of a metric. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final List<Sample> samples;

  private PrometheusScrape(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  /** Scrapes every endpoint ({@code http://host:port/metrics}) once. */
  public static PrometheusScrape of(Collection<URI> endpoints) {
    List<Sample> all = new ArrayList<>();
    for (URI endpoint : endpoints) {
      all.addAll(parse(fetch(endpoint)));
    }
    return new PrometheusScrape(all);
  }

  public List<Sample> samples() {
    return samples;
  }

  public List<Sample> samples(String name, Predicate<Map<String, String>> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && labels.test(s.labels())).toList();
  }

  /** Sum over all samples of a metric whose labels match (e.g. all subtasks of an operator). */
  public double sum(String name, Predicate<Map<String, String>> labels) {
    return samples(name, labels).stream().mapToDouble(Sample::value).sum();
  }

  /** How Flink's Prometheus reporter writes a label value: characters outside [A-Za-z0-9:_] become '_'. */
  public static String labelValue(String flinkName) {
    return flinkName.replaceAll("[^a-zA-Z0-9:_]", "_");
  }

  static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      Map<String, String> labels = new LinkedHashMap<>();
      String name;
      String rest;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        int end = parseLabels(line, brace + 1, labels);
        rest = line.substring(end + 1).trim();
      } else {
        name = line.substring(0, space);
        rest = line.substring(space + 1).trim();
      }
      String value = rest.split(" ")[0];
      out.add(new Sample(name, labels, Double.parseDouble(value.replace("Inf", "Infinity"))));
    }
    return out;
  }

  /** Reads {@code k="v",...} from {@code start}; returns the index of the closing brace. */
  private static int parseLabels(String line, int start, Map<String, String> labels) {
    int i = start;
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq).trim();
      StringBuilder value = new StringBuilder();
      i = eq + 2; // skip ="
      while (line.charAt(i) != '"') {
        char c = line.charAt(i);
        if (c == '\\') {
          char escaped = line.charAt(++i);
          value.append(escaped == 'n' ? '\n' : escaped);
        } else {
          value.append(c);
        }
        i++;
      }
      labels.put(key, value.toString());
      i++; // closing quote
      if (line.charAt(i) == ',') {
        i++;
      }
    }
    return i;
  }

  private static String fetch(URI endpoint) {
    try {
      HttpResponse<String> response = HTTP.send(
          HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(20)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(endpoint + " answered " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scrape " + endpoint + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
