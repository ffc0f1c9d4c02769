package dev.pestream.connectors.blob;

import java.io.IOException;

/** A claim-check blob that cannot be written or read back intact; {@link #kind()} says why. */
public class BlobException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a blob was rejected; stable codes for dead letters. */
  public enum Kind {
    /** The URI is malformed or lies outside the blob store the reader was given. */
    NOT_ALLOWED,
    /** The declared or actual length exceeds the reader's limit. */
    TOO_LARGE,
    /** No blob at the URI. */
    NOT_FOUND,
    /** The blob's length differs from the length in the reference. */
    LENGTH_MISMATCH,
    /** The blob's SHA-256 differs from the hash in the reference. */
    HASH_MISMATCH,
    /** The file system failed. */
    IO
  }

  private final Kind kind;

  public BlobException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
