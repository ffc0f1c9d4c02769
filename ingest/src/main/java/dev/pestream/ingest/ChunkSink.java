package dev.pestream.ingest;

/** Receives chunks as they are cut. */
@FunctionalInterface
public interface ChunkSink {
  void accept(ChunkData chunk) throws Exception;
}
