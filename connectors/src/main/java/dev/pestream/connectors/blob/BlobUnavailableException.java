package dev.pestream.connectors.blob;

import java.io.IOException;

/**
 * The blob store kept failing for longer than the read's retry budget ({@link BlobRetryPolicy}).
 * Not a {@link BlobException}: it must not become a dead letter but fail the task, so that Flink
 * restores the last checkpoint and reads the chunk again once the store is back.
 */
public class BlobUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  public BlobUnavailableException(String message, BlobException lastFailure) {
    super(message, lastFailure);
  }
}
