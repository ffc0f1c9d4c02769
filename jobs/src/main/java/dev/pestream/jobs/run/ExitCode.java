package dev.pestream.jobs.run;

import dev.pestream.ingest.IngestExitCodes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exit codes of every {@code pestream} command, in one place (jobs/README.md "Exit codes" lists
 * the same table). The codes of {@code ingest} are its own {@link IngestExitCodes}, so a code
 * means the same whichever command returns it.
 */
public enum ExitCode {
  OK(IngestExitCodes.OK, "success (or stopped with Ctrl-C)"),
  FAILURE(IngestExitCodes.INTERNAL_ERROR, "unexpected error (run with --verbose for the stack trace)"),
  USAGE(IngestExitCodes.USAGE, "bad command line: unknown option, bad or missing value, bad setting"),
  INPUT(IngestExitCodes.SOURCE_UNREADABLE, "an input cannot be read: missing file, not media, bad rules file"),
  KAFKA(IngestExitCodes.KAFKA_UNAVAILABLE, "Kafka cannot be reached or refused the records"),
  BLOB_STORE(IngestExitCodes.BLOB_STORE_FAILED, "the blob store cannot be written (ingest)"),
  SOURCE_LOST(IngestExitCodes.SOURCE_LOST, "a live source was lost and could not be reconnected (ingest)"),
  MODEL_BUNDLE(7, "the --models folder is not a valid model bundle (or models pull: the checkpoint cannot be exported)"),
  REGISTRY(IngestExitCodes.REGISTRY_UNAVAILABLE, "the schema registry cannot be reached or refused a schema (records.wire-format: registry)"),
  MODEL_DOWNLOAD(9, "models pull: unknown model id or revision, no network, token refused, disk full");

  private final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  /** The table for picocli's "Exit codes:" help section (the constants are in code order). */
  public static Map<String, String> helpList() {
    Map<String, String> list = new LinkedHashMap<>();
    for (ExitCode e : values()) {
      list.put(Integer.toString(e.code), e.meaning);
    }
    return list;
  }
}
