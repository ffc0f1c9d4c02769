package dev.pestream.ingest;

/** A sources file that cannot be used; the message is one line: {@code FILE:LINE: what to fix}. */
public final class SourcesFileException extends Exception {
  public SourcesFileException(String message) {
    super(message);
  }
}
