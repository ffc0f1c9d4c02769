package dev.pestream.ingest;

import java.io.InputStream;
import java.util.Objects;

/**
 * What to ingest and how; build with {@link #builder(String)}.
 *
 * <p>Live sources (network URLs by default) are reconnected when they drop or end, with
 * exponential backoff, at most {@code maxReconnects} times in a row ({@code -1} = forever); files
 * and stdin end at their end. A source that cannot be opened at all fails at once.
 */
public final class IngestSettings {
  public static final long DEFAULT_IO_TIMEOUT_US = 10_000_000L;
  public static final long DEFAULT_RECONNECT_INITIAL_MILLIS = 500;
  public static final long DEFAULT_RECONNECT_MAX_MILLIS = 30_000;
  /** {@link #resumeAtUs()} of an ingestion that starts a stream (its clock starts at 0). */
  public static final long NOT_RESUMED = Long.MIN_VALUE;

  private final String source;
  private final InputStream stdin;
  private final ChunkingSettings chunking;
  private final boolean realtime;
  private final boolean live;
  private final int maxReconnects;
  private final long reconnectInitialMillis;
  private final long reconnectMaxMillis;
  private final long ioTimeoutUs;
  private final long resumeAtUs;

  private IngestSettings(Builder b) {
    this.source = b.source;
    this.stdin = b.stdin;
    this.chunking = b.chunking;
    this.realtime = b.realtime;
    this.live = b.live == null ? SourceReader.isNetwork(b.source) : b.live;
    this.maxReconnects = b.maxReconnects;
    this.reconnectInitialMillis = b.reconnectInitialMillis;
    this.reconnectMaxMillis = b.reconnectMaxMillis;
    this.ioTimeoutUs = b.ioTimeoutUs;
    this.resumeAtUs = b.resumeAtUs;
  }

  public static Builder builder(String source) {
    return new Builder(source);
  }

  public String source() {
    return source;
  }

  /** The source without credentials, for messages and record attributes. */
  public String sourceForDisplay() {
    return SourceReader.STDIN.equals(source) ? "stdin" : SourceReader.redact(source);
  }

  public InputStream stdin() {
    return stdin;
  }

  public ChunkingSettings chunking() {
    return chunking;
  }

  public boolean realtime() {
    return realtime;
  }

  public boolean live() {
    return live;
  }

  public int maxReconnects() {
    return maxReconnects;
  }

  public long reconnectInitialMillis() {
    return reconnectInitialMillis;
  }

  public long reconnectMaxMillis() {
    return reconnectMaxMillis;
  }

  public long ioTimeoutUs() {
    return ioTimeoutUs;
  }

  /** Where the stream clock starts when continuing a stream, or {@link #NOT_RESUMED}. */
  public long resumeAtUs() {
    return resumeAtUs;
  }

  /** Builds validated settings. */
  public static final class Builder {
    private final String source;
    private InputStream stdin = System.in;
    private ChunkingSettings chunking = ChunkingSettings.defaults();
    private boolean realtime;
    private Boolean live;
    private int maxReconnects = -1;
    private long reconnectInitialMillis = DEFAULT_RECONNECT_INITIAL_MILLIS;
    private long reconnectMaxMillis = DEFAULT_RECONNECT_MAX_MILLIS;
    private long ioTimeoutUs = DEFAULT_IO_TIMEOUT_US;
    private long resumeAtUs = NOT_RESUMED;

    private Builder(String source) {
      this.source = source;
    }

    /** What "-" reads (default {@link System#in}). */
    public Builder stdin(InputStream in) {
      stdin = in;
      return this;
    }

    public Builder chunking(ChunkingSettings c) {
      chunking = c;
      return this;
    }

    /** Pace publishing at 1x: a chunk goes out when its end has passed on the wall clock. */
    public Builder realtime(boolean on) {
      realtime = on;
      return this;
    }

    /** Treat the source as live (reconnect when it drops or ends); null = network URLs only. */
    public Builder live(Boolean on) {
      live = on;
      return this;
    }

    /** Reconnect attempts in a row before giving up on a live source; -1 = forever. */
    public Builder maxReconnects(int n) {
      maxReconnects = n;
      return this;
    }

    public Builder reconnectBackoff(long initialMillis, long maxMillis) {
      reconnectInitialMillis = initialMillis;
      reconnectMaxMillis = maxMillis;
      return this;
    }

    /** Longest wait for data from the source before the connection counts as dropped. */
    public Builder ioTimeoutUs(long us) {
      ioTimeoutUs = us;
      return this;
    }

    /**
     * Continues a stream that an earlier ingestion left at {@code clockUs} (its last chunk's end
     * plus the time it was away): the source's first timestamp maps there, and the first chunk
     * is marked as a discontinuity, as after a reconnect.
     */
    public Builder resumeAt(long clockUs) {
      resumeAtUs = clockUs;
      return this;
    }

    public IngestSettings build() {
      if (source == null || source.isBlank()) {
        throw new IllegalArgumentException("source must not be empty");
      }
      Objects.requireNonNull(chunking, "chunking");
      if (SourceReader.STDIN.equals(source) && stdin == null) {
        throw new IllegalArgumentException("source '-' needs an input stream");
      }
      if (maxReconnects < -1) {
        throw new IllegalArgumentException("maxReconnects must be -1 (forever) or more");
      }
      if (reconnectInitialMillis < 1 || reconnectMaxMillis < reconnectInitialMillis) {
        throw new IllegalArgumentException("reconnect backoff must be 1 ms <= initial <= max");
      }
      if (resumeAtUs != NOT_RESUMED && resumeAtUs < 0) {
        throw new IllegalArgumentException("a stream resumes at a clock time >= 0");
      }
      if (ioTimeoutUs < 100_000) {
        throw new IllegalArgumentException("I/O timeout must be at least 100 ms");
      }
      return new IngestSettings(this);
    }
  }
}
