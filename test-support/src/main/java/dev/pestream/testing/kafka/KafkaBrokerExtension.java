package dev.pestream.testing.kafka;

import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real KRaft broker for the whole test JVM (starting one takes seconds), closed when the
 * run ends. Each test isolates itself with its own random topics ({@link KafkaTestClient#newTopic}).
 * Inject a {@link KafkaTestClient} into a test or lifecycle method to use it.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    broker(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KafkaTestClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return new KafkaTestClient(broker(context).bootstrapServers());
  }

  private static EmbeddedKafkaBroker broker(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent("broker", k -> new SharedBroker(EmbeddedKafkaBroker.start()), SharedBroker.class)
        .broker();
  }

  private record SharedBroker(EmbeddedKafkaBroker broker) implements AutoCloseable {
    @Override
    public void close() {
      broker.close();
    }
  }
}
