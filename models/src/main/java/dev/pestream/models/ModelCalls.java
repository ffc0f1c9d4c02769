package dev.pestream.models;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Waiting for the results of the role clients' {@code *Async} calls. */
public final class ModelCalls {
  private ModelCalls() {}

  /** Waits for an async result; the batch's error is rethrown as is (usually a ModelRunException). */
  public static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
