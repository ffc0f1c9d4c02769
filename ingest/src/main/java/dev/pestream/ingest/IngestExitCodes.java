package dev.pestream.ingest;

/** Exit codes of {@code pestream ingest}. */
public final class IngestExitCodes {
  /** Ingestion ran to the end of the source (or was stopped). */
  public static final int OK = 0;
  /** An unexpected internal error. */
  public static final int INTERNAL_ERROR = 1;
  /** Bad command line (picocli's usage code). */
  public static final int USAGE = 2;
  /** The source cannot be read (missing file, refused connection, no media in it). */
  public static final int SOURCE_UNREADABLE = 3;
  /** The Kafka broker cannot be reached or refused the records. */
  public static final int KAFKA_UNAVAILABLE = 4;
  /** The claim-check blob store cannot be written. */
  public static final int BLOB_STORE_FAILED = 5;
  /** A live source was lost and could not be reconnected. */
  public static final int SOURCE_LOST = 6;
  /** The schema registry cannot be reached or refused the schema ({@code --wire-format registry}). */
  public static final int REGISTRY_UNAVAILABLE = 8;

  private IngestExitCodes() {}
}
