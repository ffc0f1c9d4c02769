package dev.pestream.ingest;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the sources file of {@code pestream ingest --sources}: YAML composed by SnakeYAML into
 * nodes (which keep their line numbers), then checked key by key, so every mistake is reported
 * as {@code FILE:LINE: what to fix}.
 *
 * <pre>
 * defaults:                 # optional; any per-source setting
 *   chunk-duration: 2s
 * sources:
 *   - stream-id: door
 *     url: rtsp://10.0.0.5/stream
 *   - stream-id: lobby
 *     file: lobby.mp4        # relative to this file's folder
 *     realtime: true
 * </pre>
 */
public final class SourcesFile {
  public static final String DEFAULTS = "defaults";
  public static final String SOURCES = "sources";
  public static final String STREAM_ID = "stream-id";
  public static final String URL = "url";
  public static final String FILE = "file";
  public static final String CHUNK_DURATION = "chunk-duration";
  public static final String TRANSCODE = "transcode";
  public static final String VIDEO_BITRATE = "video-bitrate";
  public static final String CONTAINER = "container";
  public static final String AUDIO_FORMAT = "audio-format";
  public static final String REALTIME = "realtime";
  public static final String LIVE = "live";
  public static final String MAX_RECONNECTS = "max-reconnects";
  public static final String IO_TIMEOUT = "io-timeout";

  /** Settings allowed both under {@code defaults} and in a source (same meaning as ingest's options). */
  static final List<String> SETTINGS =
      List.of(CHUNK_DURATION, TRANSCODE, VIDEO_BITRATE, CONTAINER, AUDIO_FORMAT, REALTIME, LIVE, MAX_RECONNECTS, IO_TIMEOUT);

  private static final List<String> TOP_LEVEL = List.of(DEFAULTS, SOURCES);
  private static final List<String> SOURCE_KEYS = concat(List.of(STREAM_ID, URL, FILE), SETTINGS);

  private final String name;
  private final Path folder;

  private SourcesFile(String name, Path folder) {
    this.name = name;
    this.folder = folder;
  }

  /** Reads and checks {@code file}. */
  public static SourcesConfig read(Path file) throws SourcesFileException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new SourcesFileException(file + ": no such sources file");
    } catch (IOException e) {
      throw new SourcesFileException(file + ": cannot read the sources file: " + e.getMessage());
    }
    Path parent = file.toAbsolutePath().getParent();
    return parse(text, file.toString(), parent);
  }

  /** Checks {@code text}; {@code name} prefixes messages, relative {@code file:} paths resolve against {@code folder}. */
  public static SourcesConfig parse(String text, String name, Path folder) throws SourcesFileException {
    return new SourcesFile(name, folder).parse(new StringReader(text));
  }

  private SourcesConfig parse(Reader text) throws SourcesFileException {
    Node root;
    try {
      root = new Yaml(new LoaderOptions()).compose(text);
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 1;
      String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
      throw new SourcesFileException(name + ":" + line + ": YAML syntax error: " + problem.trim());
    } catch (YAMLException e) {
      throw new SourcesFileException(name + ":1: YAML syntax error: " + e.getMessage());
    }
    if (root == null) {
      throw new SourcesFileException(name + ":1: the file is empty: it needs a '" + SOURCES + ":' list");
    }
    Map<String, NodeTuple> top = mapping(root, TOP_LEVEL, "at the top level");
    Map<String, NodeTuple> defaults = Map.of();
    if (top.containsKey(DEFAULTS)) {
      Node node = top.get(DEFAULTS).getValueNode();
      defaults = mapping(node, SETTINGS, "under '" + DEFAULTS + "'");
      try {
        spec("defaults", "http://defaults", defaults); // checked even while no source uses them
      } catch (IllegalArgumentException e) {
        throw error(node, "'" + DEFAULTS + "': " + e.getMessage());
      }
    }
    NodeTuple sourcesEntry = top.get(SOURCES);
    if (sourcesEntry == null) {
      throw error(root, "no '" + SOURCES + ":' list (each item: " + STREAM_ID + " and " + URL + " or " + FILE + ")");
    }
    Node list = sourcesEntry.getValueNode();
    if (isNull(list)) {
      return new SourcesConfig(List.of(), Map.of());
    }
    if (!(list instanceof SequenceNode items)) {
      throw error(list, "'" + SOURCES + "' must be a list of sources ('- " + STREAM_ID + ": ...')");
    }
    List<SourceSpec> sources = new ArrayList<>();
    Map<String, Integer> lines = new LinkedHashMap<>();
    for (Node item : items.getValue()) {
      SourceSpec spec = source(item, defaults);
      Integer earlier = lines.putIfAbsent(spec.streamId(), line(item));
      if (earlier != null) {
        throw error(item, "duplicate " + STREAM_ID + " '" + spec.streamId() + "' (already used on line " + earlier
            + "): every stream needs its own id");
      }
      sources.add(spec);
    }
    return new SourcesConfig(sources, lines);
  }

  private SourceSpec source(Node item, Map<String, NodeTuple> defaults) throws SourcesFileException {
    Map<String, NodeTuple> own = mapping(item, SOURCE_KEYS, "in a source");
    String streamId = text(own.get(STREAM_ID));
    if (streamId == null || streamId.isBlank()) {
      throw error(item, "source without '" + STREAM_ID + ":'");
    }
    String url = text(own.get(URL));
    String file = text(own.get(FILE));
    if ((url == null) == (file == null)) {
      throw error(item, "source '" + streamId + "' needs exactly one of '" + URL + ":' or '" + FILE + ":'");
    }
    String source;
    if (url != null) {
      if (!SourceReader.isNetwork(url)) {
        throw error(own.get(URL).getValueNode(),
            "'" + url + "' is not a URL (scheme://...): use '" + FILE + ":' for a local file");
      }
      source = url;
    } else {
      if (file.isBlank() || SourceReader.STDIN.equals(file)) {
        throw error(own.get(FILE).getValueNode(), "'" + FILE + ":' must name a file (standard input is not a source here)");
      }
      source = folder.resolve(file.startsWith("file:") ? file.substring("file:".length()) : file).normalize().toString();
    }
    Map<String, NodeTuple> merged = new HashMap<>(defaults);
    own.forEach((key, tuple) -> {
      if (SETTINGS.contains(key)) {
        merged.put(key, tuple);
      }
    });
    try {
      return spec(streamId, source, merged);
    } catch (IllegalArgumentException e) {
      throw error(item, "source '" + streamId + "': " + e.getMessage());
    }
  }

  /** The spec of a source with {@code settings} (its own over the defaults), validated as ingest validates. */
  private SourceSpec spec(String streamId, String source, Map<String, NodeTuple> settings) throws SourcesFileException {
    ChunkingSettings chunking =
        new ChunkingSettings(
            duration(settings, CHUNK_DURATION, Duration.ofNanos(ChunkingSettings.DEFAULT_CHUNK_US * 1000)).toNanos() / 1000,
            enumValue(settings, CONTAINER, ChunkingSettings.Container.AUTO, ChunkingSettings.Container::parse),
            enumValue(settings, AUDIO_FORMAT, ChunkingSettings.AudioFormat.FLAC, ChunkingSettings.AudioFormat::parse),
            bool(settings, TRANSCODE, false),
            number(settings, VIDEO_BITRATE, ChunkingSettings.DEFAULT_VIDEO_BITRATE));
    SourceSpec spec =
        new SourceSpec(
            streamId,
            source,
            chunking,
            settings.containsKey(LIVE) ? bool(settings, LIVE, false) : null,
            bool(settings, REALTIME, false),
            (int) number(settings, MAX_RECONNECTS, -1),
            duration(settings, IO_TIMEOUT, Duration.ofNanos(IngestSettings.DEFAULT_IO_TIMEOUT_US * 1000)).toNanos() / 1000);
    spec.settings().build();
    return spec;
  }

  /** The keys of a mapping node, each checked against {@code allowed}. */
  private Map<String, NodeTuple> mapping(Node node, List<String> allowed, String where) throws SourcesFileException {
    if (!(node instanceof MappingNode map)) {
      throw error(node, "expected 'key: value' lines " + where + " (" + String.join(", ", allowed) + ")");
    }
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    for (NodeTuple tuple : map.getValue()) {
      Node keyNode = tuple.getKeyNode();
      String key = keyNode instanceof ScalarNode s ? s.getValue() : null;
      if (key == null || !allowed.contains(key)) {
        throw error(keyNode, "unknown key '" + (key == null ? "?" : key) + "' " + where + " (known: "
            + String.join(", ", allowed) + ")");
      }
      if (out.put(key, tuple) != null) {
        throw error(keyNode, "'" + key + "' is given twice " + where);
      }
    }
    return out;
  }

  private String text(NodeTuple tuple) throws SourcesFileException {
    if (tuple == null) {
      return null;
    }
    Node value = tuple.getValueNode();
    if (!(value instanceof ScalarNode scalar)) {
      throw error(value, "'" + key(tuple) + "' takes a single value");
    }
    return isNull(value) ? null : scalar.getValue().trim();
  }

  private Duration duration(Map<String, NodeTuple> settings, String key, Duration fallback) throws SourcesFileException {
    NodeTuple tuple = settings.get(key);
    String value = text(tuple);
    if (value == null) {
      return fallback;
    }
    try {
      return DurationConverter.parse(value);
    } catch (RuntimeException e) {
      throw error(tuple.getValueNode(), "'" + key + "': " + e.getMessage());
    }
  }

  private boolean bool(Map<String, NodeTuple> settings, String key, boolean fallback) throws SourcesFileException {
    NodeTuple tuple = settings.get(key);
    String value = text(tuple);
    if (value == null) {
      return fallback;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw error(tuple.getValueNode(), "'" + key + "' is true or false, got '" + value + "'");
    };
  }

  private long number(Map<String, NodeTuple> settings, String key, long fallback) throws SourcesFileException {
    NodeTuple tuple = settings.get(key);
    String value = text(tuple);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw error(tuple.getValueNode(), "'" + key + "' is a whole number, got '" + value + "'");
    }
  }

  private interface Parser<T> {
    T parse(String text);
  }

  private <T> T enumValue(Map<String, NodeTuple> settings, String key, T fallback, Parser<T> parser)
      throws SourcesFileException {
    NodeTuple tuple = settings.get(key);
    String value = text(tuple);
    if (value == null) {
      return fallback;
    }
    try {
      return parser.parse(value);
    } catch (IllegalArgumentException e) {
      String choices = CONTAINER.equals(key) ? "auto, mpegts, mp4, matroska" : "flac, wav";
      throw error(tuple.getValueNode(), "'" + key + "' is one of " + choices + ", got '" + value + "'");
    }
  }

  private static String key(NodeTuple tuple) {
    return tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : "?";
  }

  private static boolean isNull(Node node) {
    return node instanceof ScalarNode s && "tag:yaml.org,2002:null".equals(s.getTag().getValue());
  }

  private static int line(Node node) {
    return node.getStartMark() == null ? 1 : node.getStartMark().getLine() + 1;
  }

  private SourcesFileException error(Node node, String message) {
    return new SourcesFileException(name + ":" + line(node) + ": " + message);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }
}
