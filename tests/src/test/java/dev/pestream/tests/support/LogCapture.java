package dev.pestream.tests.support;

import java.io.StringWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Captures everything this JVM logs through log4j2 (Flink, Kafka clients, the MiniCluster's task
 * managers, our code) at {@code level} or above, with stack traces, while the console keeps its
 * configured threshold. {@link #close()} restores the configuration.
 */
public final class LogCapture implements AutoCloseable {
  private static final String NAME = "pestream-log-capture";

  private final LoggerContext context;
  private final StringWriter text = new StringWriter();
  private final Appender appender;
  private final Level rootLevel;
  private final Level kafkaLevel;

  private LogCapture(Level level) {
    context = (LoggerContext) LogManager.getContext(false);
    Configuration config = context.getConfiguration();
    appender = WriterAppender.newBuilder()
        .setName(NAME)
        .setTarget(text)
        .setLayout(PatternLayout.newBuilder().withPattern("%d %p %c - %m%n%ex").build())
        .build();
    appender.start();
    config.addAppender(appender);
    LoggerConfig root = config.getRootLogger();
    rootLevel = root.getLevel();
    kafkaLevel = config.getLoggerConfig("org.apache.kafka").getLevel();
    // the other appenders keep the old threshold: they get it as their own level
    for (Appender other : root.getAppenders().values()) {
      root.removeAppender(other.getName());
      root.addAppender(other, rootLevel, null);
    }
    root.addAppender(appender, level, null);
    root.setLevel(level);
    // loggers configured quieter than `level` (Kafka's) would drop what we want to see
    config.getLoggerConfig("org.apache.kafka").setLevel(level);
    context.updateLoggers();
  }

  /** Starts capturing at {@code level} and above. */
  public static LogCapture start(Level level) {
    return new LogCapture(level);
  }

  /** Everything captured so far. */
  public String text() {
    synchronized (text) {
      return text.toString();
    }
  }

  @Override
  public void close() {
    Configuration config = context.getConfiguration();
    LoggerConfig root = config.getRootLogger();
    root.removeAppender(NAME);
    for (Appender other : root.getAppenders().values()) {
      root.removeAppender(other.getName());
      root.addAppender(other, null, null);
    }
    root.setLevel(rootLevel);
    config.getLoggerConfig("org.apache.kafka").setLevel(kafkaLevel);
    context.updateLoggers();
    appender.stop();
  }
}
