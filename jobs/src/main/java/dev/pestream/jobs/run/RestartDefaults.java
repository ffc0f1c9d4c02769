package dev.pestream.jobs.run;

import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job's restart strategy where neither its settings nor the cluster name one.
 *
 * <p>Flink 2.2 with checkpointing on and no {@code restart-strategy.type} restarts with
 * exponential-delay: 1 s, ×1.5 per failure up to 1 min, 10 % jitter, and unlimited attempts
 * (the count only resets after 1 h without a failure). That rides out a broker outage, but a
 * real bug then restarts the job forever, and once the backoff has grown the job may wait up to a
 * minute after Kafka is back before it tries again.
 *
 * <p>Ours keeps exponential-delay (a Kafka outage fails the job a few times: the sink's
 * transactions cannot begin or commit while the broker is gone) but caps the wait at 10 s, so
 * the job is running again within seconds of the broker's return, and caps the attempts, so a
 * failure that repeats on every restart ends the job (FAILED, with its cause) after about three
 * minutes instead of never. Ten minutes without a failure forget the count.
 */
public final class RestartDefaults {
  static final String PREFIX = "restart-strategy";
  /** Attempts before a repeating failure ends the job: 20 × up to 10 s ≈ 3 min. */
  static final int RUN_ATTEMPTS = 20;

  private RestartDefaults() {}

  /** Flink's {@code restart-strategy.*} settings for exponential-delay up to {@code maxBackoff}, {@code attempts} times. */
  public static Configuration exponentialDelay(int attempts, Duration maxBackoff) {
    Configuration c = new Configuration();
    c.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofSeconds(1));
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, maxBackoff);
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR, 0.1);
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD, Duration.ofMinutes(10));
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, attempts);
    return c;
  }

  /**
   * Applies the job's default strategy to {@code env} unless its configuration (the job's {@code
   * flink.*} settings plus the Flink configuration the client was started with) already has a
   * {@code restart-strategy.*} key: a user's or a cluster's choice always wins.
   */
  static void applyUnlessSet(StreamExecutionEnvironment env) {
    if (isSet(env.getConfiguration())) {
      return;
    }
    env.configure(exponentialDelay(RUN_ATTEMPTS, Duration.ofSeconds(10)));
  }

  static boolean isSet(ReadableConfig config) {
    return config.toMap().keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
  }
}
