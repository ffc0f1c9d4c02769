package dev.pestream.operators.faults;

import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/**
 * Chaos testing: make the job fail on purpose at chosen chunks, to prove that its outputs stay
 * exactly once through task failovers. Off unless both options are set; then the job gets one
 * extra operator ({@link InjectFaults}) and logs a warning at start. Never set these in
 * production.
 */
public final class FaultInjectionOptions {
  public static final ConfigOption<List<String>> FAIL_ON =
      ConfigOptions.key("testing.fail-on")
          .stringType()
          .asList()
          .noDefaultValue()
          .withDescription(
              "CHAOS TESTING ONLY. Chunks (streamId:seq, separated by ';') on which the task fails on purpose, right"
                  + " after decoding them, each at most once over the job's life (recorded in"
                  + " testing.fault-markers). Unset = no fault injection and no extra operator.");

  public static final ConfigOption<String> FAULT_MARKERS =
      ConfigOptions.key("testing.fault-markers")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "CHAOS TESTING ONLY. Directory (path or URI every TaskManager can reach) where each injected fault"
                  + " leaves a marker file before it fires, so that it fires once even though the failure rolls"
                  + " the job's state back. Required with testing.fail-on.");

  private FaultInjectionOptions() {}

  /**
   * The fault points configured in {@code config}, or empty when fault injection is off.
   *
   * @throws IllegalArgumentException when only one of the two options is set, or a point is malformed
   */
  public static Optional<FaultPoints> pointsFrom(ReadableConfig config) {
    Optional<List<String>> failOn = config.getOptional(FAIL_ON);
    Optional<String> markers = config.getOptional(FAULT_MARKERS);
    if (failOn.isEmpty() && markers.isEmpty()) {
      return Optional.empty();
    }
    if (failOn.isEmpty() || markers.isEmpty() || markers.get().isBlank()) {
      throw new IllegalArgumentException(
          FAIL_ON.key() + " and " + FAULT_MARKERS.key() + " go together: set both (chaos testing) or neither");
    }
    return Optional.of(FaultPoints.parse(failOn.get(), markers.get()));
  }
}
