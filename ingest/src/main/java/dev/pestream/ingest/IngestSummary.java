package dev.pestream.ingest;

/**
 * What an ingestion did.
 *
 * @param chunks records published
 * @param bytes chunk bytes (inline and claim-checked)
 * @param claimChecked chunks written to the blob store
 * @param mediaUs stream-clock time covered, first chunk start to last chunk end
 * @param wallNanos elapsed wall-clock time
 * @param reconnects times a live source was reconnected
 * @param nextSeq the sequence number a continuation should start at
 * @param end why ingestion stopped
 */
public record IngestSummary(
    long chunks, long bytes, long claimChecked, long mediaUs, long wallNanos, int reconnects, long nextSeq, End end) {

  /** Why ingestion stopped. */
  public enum End {
    /** The source ended (end of file or of stdin). */
    SOURCE_ENDED,
    /** A live source dropped and could not be reconnected within the allowed attempts. */
    SOURCE_LOST,
    /** Stop was requested (Ctrl-C). */
    STOPPED
  }

  /** Media time per wall-clock time (1.0 = real time). */
  public double realtimeFactor() {
    return wallNanos <= 0 ? 0 : (mediaUs * 1000.0) / wallNanos;
  }
}
