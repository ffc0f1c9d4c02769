package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.testing.kafka.BrokerSecurity.Listener;
import dev.pestream.testing.kafka.BrokerSecurity.Tls;
import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.jobs.run.RunCommand;
import dev.pestream.jobs.config.JobConfig;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.console.Console;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.models.ContractBundle;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.console.ConsoleHttp;
import dev.pestream.tests.console.ContractEmbeddings;
import dev.pestream.tests.console.JobTopicsForConsole;
import dev.pestream.tests.support.ClipScript;
import dev.pestream.testing.Poll;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.LogCapture;
import dev.pestream.tests.support.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.logging.log4j.Level;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The perception job against a broker that lets no one in without credentials: a mutual-TLS
 * listener (client certificates from a CA the test makes with keytool) and a SASL/SCRAM-SHA-512
 * listener over TLS (users created when the storage is formatted), with ACLs so that only the
 * job's principal may touch the job's topics. The job runs through each listener via {@code
 * pestream run}; clients without a certificate, with a certificate from another CA, with a wrong
 * password or as an unknown user are refused, and an authenticated user without ACLs is not
 * authorised. Finally no password or private key appears in the test JVM's logs (captured at
 * INFO), the broker's log, the job's printed settings or {@link JobConfig#describe()}.
 */
@ExtendWith(KafkaClientLeakCheck.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES) // pestream run keeps restarting a failing job
class SecuredKafkaITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final String MECHANISM = "SCRAM-SHA-512";
  /** The job's principal: the CN of its certificate and its SCRAM user name. */
  private static final String JOB = "pestream-job";
  private static final String TOPIC_PREFIX = "sec-";
  /** The console test's topics: outside the job's ACL prefix. */
  private static final String CONSOLE_PREFIX = "console-acl-";

  private static Path dir;
  private static LogCapture logs;
  private static EmbeddedKafkaBroker broker;
  private static TestPki.Store truststore;
  private static TestPki.Store jobKeys;
  private static TestPki.Store rogueKeys;
  private static String jobPassword;
  private static String malloryPassword;
  private static Path bundle;
  private static final List<String> SECRETS = new ArrayList<>();
  private static final StringBuilder PRINTED = new StringBuilder();

  @BeforeAll
  static void startSecuredBroker() throws Exception {
    logs = LogCapture.start(Level.INFO);
    dir = Files.createTempDirectory("secured-kafka");
    TestPki ca = TestPki.create(dir, "pestream-test-ca");
    // keytool runs are independent once the CA exists: make the stores side by side
    CompletableFuture<TestPki.Store> brokerStore = CompletableFuture.supplyAsync(() -> issue(ca, "localhost"));
    CompletableFuture<TestPki.Store> jobStore = CompletableFuture.supplyAsync(() -> issue(ca, JOB));
    CompletableFuture<TestPki.Store> rogueStore =
        CompletableFuture.supplyAsync(() -> issue(pki(dir, "rogue-ca"), JOB));
    truststore = ca.truststore();
    TestPki.Store brokerKeys = brokerStore.get();
    jobKeys = jobStore.get();
    rogueKeys = rogueStore.get();
    jobPassword = TestPki.newPassword();
    malloryPassword = TestPki.newPassword();
    SECRETS.addAll(List.of(brokerKeys.password(), truststore.password(), jobKeys.password(), rogueKeys.password(),
        jobPassword, malloryPassword));

    Tls tls = new Tls(brokerKeys.path(), brokerKeys.password(), truststore.path(), truststore.password());
    broker = EmbeddedKafkaBroker.builder()
        .listener(Listener.mutualTls("MTLS", tls))
        .listener(Listener.scram("SCRAM", MECHANISM, tls))
        .scramUser(MECHANISM, JOB, jobPassword)
        .scramUser(MECHANISM, "mallory", malloryPassword)
        // ACLs decide; the PLAINTEXT listener (test set-up, inter-broker, controller) is the super user
        .brokerProperty("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
        .brokerProperty("super.users", "User:ANONYMOUS")
        .logLevel("INFO")
        .start();
    grantJobAccess();
    bundle = ContractBundle.materialize(dir.resolve("bundle"));
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
    if (logs != null) {
      logs.close();
    }
  }

  private static TestPki.Store issue(TestPki ca, String commonName) {
    try {
      return ca.issue(commonName);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static TestPki pki(Path dir, String name) {
    try {
      return TestPki.create(dir, name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Topics, groups and transactional ids starting with {@value #TOPIC_PREFIX}, for User:pestream-job only. */
  private static void grantJobAccess() throws Exception {
    AccessControlEntry all = new AccessControlEntry("User:" + JOB, "*", AclOperation.ALL, AclPermissionType.ALLOW);
    List<AclBinding> acls = new ArrayList<>();
    for (ResourceType type : List.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)) {
      acls.add(new AclBinding(new ResourcePattern(type, TOPIC_PREFIX, PatternType.PREFIXED), all));
    }
    acls.add(new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
        new AccessControlEntry("User:" + JOB, "*", AclOperation.IDEMPOTENT_WRITE, AclPermissionType.ALLOW)));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void theJobRunsOverMutualTls() throws Exception {
    Map<String, String> client = new LinkedHashMap<>(trustingBroker());
    client.put("security.protocol", "SSL");
    client.put("ssl.keystore.type", "PKCS12");
    client.put("ssl.keystore.location", jobKeys.path().toString());
    client.put("ssl.keystore.password", jobKeys.password());
    client.put("ssl.key.password", jobKeys.password());
    runJobAndExpectEmbeddings("MTLS", client);
  }

  /** The SCRAM password is not in the job's settings at all: a Kafka config provider reads it from a file. */
  @Test
  @Order(2)
  void theJobRunsOverScramWithThePasswordFromASecretsFile() throws Exception {
    Path secrets = dir.resolve("kafka-secrets.properties");
    Files.writeString(secrets, "scram.password=" + jobPassword + "\n", StandardCharsets.UTF_8);
    Map<String, String> client = new LinkedHashMap<>(trustingBroker());
    client.put("security.protocol", "SASL_SSL");
    client.put("sasl.mechanism", MECHANISM);
    client.put("config.providers", "file");
    client.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
    client.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + JOB + "\" password=\"${file:" + secrets + ":scram.password}\";");
    runJobAndExpectEmbeddings("SCRAM", client);
  }

  @Test
  @Order(3)
  void clientsWithoutValidCredentialsAreRefused() throws Exception {
    String topic = newTopic("refused");
    String mtls = broker.bootstrapServers("MTLS");
    String scram = broker.bootstrapServers("SCRAM");

    Map<String, String> noCertificate = new LinkedHashMap<>(trustingBroker());
    noCertificate.put("security.protocol", "SSL");
    assertRefused(mtls, noCertificate, topic, SslAuthenticationException.class);

    Map<String, String> foreignCertificate = new LinkedHashMap<>(noCertificate);
    foreignCertificate.put("ssl.keystore.type", "PKCS12");
    foreignCertificate.put("ssl.keystore.location", rogueKeys.path().toString());
    foreignCertificate.put("ssl.keystore.password", rogueKeys.password());
    assertRefused(mtls, foreignCertificate, topic, SslAuthenticationException.class);

    Map<String, String> brokerNotTrusted = new LinkedHashMap<>();
    brokerNotTrusted.put("security.protocol", "SSL");
    brokerNotTrusted.put("ssl.keystore.type", "PKCS12");
    brokerNotTrusted.put("ssl.keystore.location", jobKeys.path().toString());
    brokerNotTrusted.put("ssl.keystore.password", jobKeys.password());
    assertRefused(mtls, brokerNotTrusted, topic, SslAuthenticationException.class);

    assertRefused(scram, scramClient(JOB, "not-" + jobPassword), topic, SaslAuthenticationException.class);
    assertRefused(scram, scramClient("nobody", jobPassword), topic, SaslAuthenticationException.class);
    // authenticated, but no ACL lets mallory near the job's topics
    assertRefused(scram, scramClient("mallory", malloryPassword), topic, TopicAuthorizationException.class);
  }

  /**
   * The console as mallory, who may see the topics but not yet read the spans: its timeline
   * follower fails on the missing ACL, is counted and starts over with backoff while the index
   * follower goes on; once READ is granted the span reaches the timeline without a restart.
   */
  @Test
  @Order(4)
  void theConsoleHealsOnceAMissingReadAclIsGranted() throws Exception {
    KafkaTestClient admin = new KafkaTestClient(broker.bootstrapServers());
    Map<String, String> topics = admin.newJobTopics(CONSOLE_PREFIX, 1);
    String spans = topics.get("topics.spans");
    List<AclBinding> acls = new ArrayList<>();
    acls.add(allow("mallory", new ResourcePattern(ResourceType.TOPIC, CONSOLE_PREFIX, PatternType.PREFIXED), AclOperation.DESCRIBE));
    topics.values().stream().filter(t -> !t.equals(spans)).forEach(t ->
        acls.add(allow("mallory", new ResourcePattern(ResourceType.TOPIC, t, PatternType.LITERAL), AclOperation.READ)));
    createAcls(acls);

    Properties client = new Properties();
    client.putAll(scramClient("mallory", malloryPassword));
    ConsoleSettings settings = ConsoleSettings.builder().bootstrapServers(broker.bootstrapServers("SCRAM"))
        .kafkaClientProperties(client).topics(JobTopicsForConsole.of(topics)).bundleDir(bundle)
        .indexDir(dir.resolve("console-index")).port(0).commitInterval(Duration.ofMillis(200)).build();
    admin.send(spans, "gate", RecordCodec.of(EventSpan.class).encode(EventSpan.newBuilder().setSpanId("s1")
        .setStreamId("gate").setPromptId("beep").setPromptText("beep").setStartUs(1_000_000).setEndUs(2_000_000L)
        .setState(SpanState.CLOSED).setPeakScore(0.9f).setMeanScore(0.8f).setThreshold(0.5f)
        .setModelId("pestream/contract-pe-av").setModelVersion("1").build()));
    try (Console console = Console.start(settings)) {
      ConsoleHttp http = new ConsoleHttp(console.url());
      Poll.until("the timeline follower failing on the missing ACL", Duration.ofSeconds(30),
          () -> http.ok("/api/status").at("/counters/followerRestarts").asLong(), n -> n >= 2);
      assertThat(http.ok("/api/streams").get("streams")).as("no span read without READ").isEmpty();
      admin.send(topics.get("topics.embeddings"), "gate", RecordCodec.of(Embedding.class).encode(
          ContractEmbeddings.audio("gate", 0, 2_000_000, Collections.nCopies(1024, 0.01f))));
      Poll.until("the index follower, which may read, going on meanwhile", Duration.ofSeconds(30),
          () -> http.ok("/api/status").at("/indexed/audio").asInt(), n -> n == 1);

      createAcls(List.of(allow("mallory", new ResourcePattern(ResourceType.TOPIC, spans, PatternType.LITERAL), AclOperation.READ)));
      JsonNode timeline = Poll.until("the span on the timeline once READ is granted", Duration.ofSeconds(60),
          () -> http.ok("/api/streams/gate/timeline"), t -> t.get("spans").size() == 1);
      assertThat(timeline.at("/spans/0/startUs").asLong()).isEqualTo(1_000_000);
      assertThat(logs.text()).contains("the timeline follower failed; it starts over in")
          .contains("TopicAuthorizationException");
    }
  }

  private static AclBinding allow(String user, ResourcePattern resource, AclOperation operation) {
    return new AclBinding(resource, new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
  }

  private static void createAcls(List<AclBinding> acls) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(5)
  void noSecretAppearsInLogsOrPrintedSettings() throws Exception {
    String captured = logs.text();
    String brokerLog = Files.readString(broker.logFile(), StandardCharsets.UTF_8);
    // the capture saw the clients' configuration dumps, so the check below had something to search
    assertThat(captured).contains("ssl.keystore.password = [hidden]").contains("sasl.jaas.config = [hidden]");
    assertThat(PRINTED.toString()).contains("kafka.client.ssl.keystore.password: ******")
        .contains("kafka.client.sasl.jaas.config: ******");
    for (String secret : SECRETS) {
      assertThat(captured).as("the test JVM's log").doesNotContain(secret);
      assertThat(brokerLog).as("the broker's log").doesNotContain(secret);
      assertThat(PRINTED.toString()).as("pestream run's printed settings").doesNotContain(secret);
    }
    for (String text : List.of(captured, brokerLog, PRINTED.toString())) {
      assertThat(text).doesNotContain("PRIVATE KEY");
    }
  }

  /** Runs {@code pestream run} (bounded) through {@code listener} and checks its embeddings. */
  private void runJobAndExpectEmbeddings(String listener, Map<String, String> client) throws Exception {
    KafkaTestClient admin = new KafkaTestClient(broker.bootstrapServers());
    Map<String, String> settings = new LinkedHashMap<>(admin.newJobTopics(TOPIC_PREFIX, 1));
    settings.put("job.group-id", TOPIC_PREFIX + "perception-" + listener.toLowerCase());
    settings.put("job.bounded", "true");
    settings.put("job.parallelism", "1");
    settings.put("job.checkpoint-interval", "500 ms");
    settings.put("kafka.transactional-id-prefix", TOPIC_PREFIX + UUID.randomUUID());
    settings.put("window.length", "2 s");
    settings.put("window.hop", "1 s");
    settings.put("window.idle-timeout", "0 s");
    settings.put("models.providers", "cpu");
    client.forEach((k, v) -> settings.put(JobConfig.KAFKA_CLIENT_PREFIX + k, v));
    assertThat(JobConfig.of(settings).describe()).doesNotContain(SECRETS);

    ClipScript gate = new ClipScript("gate-" + listener.toLowerCase(), 3, 0).tone(1.1, 2.0);
    List<MediaChunk> chunks = new ArrayList<>();
    for (int seq = 0; seq < gate.chunkCount(); seq++) {
      chunks.add(gate.chunk(seq, dir));
    }
    admin.sendChunks(settings.get("topics.chunks"), chunks);

    Path config = dir.resolve(listener + ".yaml");
    Files.writeString(config, settings.entrySet().stream()
        .map(e -> e.getKey() + ": '" + e.getValue().replace("'", "''") + "'").collect(Collectors.joining("\n")));
    int exit = runCommand("--config", config.toString(), "--bootstrap", broker.bootstrapServers(listener),
        "--models", bundle.toString());
    assertThat(exit).as("pestream run exit code").isZero();

    List<Embedding> embeddings = admin.readCommittedRecords(settings.get("topics.embeddings"),
        RecordCodec.of(Embedding.class), 3, Duration.ofSeconds(1), Duration.ofSeconds(30));
    assertThat(embeddings).isNotEmpty().allSatisfy(e -> assertThat(e.getStreamId()).isEqualTo(gate.streamId()));
    assertThat(embeddings).extracting(e -> e.getModality().name()).contains("AUDIO", "VIDEO", "AUDIO_VIDEO");
  }

  /** {@code pestream run ARGS} in this JVM (the MiniCluster), keeping what it prints. */
  private static int runCommand(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      System.setErr(capture);
      return RunCommand.commandLine().execute(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
      String text = printed.toString(StandardCharsets.UTF_8);
      PRINTED.append(text);
      out.print(text);
    }
  }

  /** Producing to and reading from {@code topic} as {@code client} must fail with {@code expected}. */
  private static void assertRefused(String bootstrap, Map<String, String> client, String topic,
      Class<? extends Exception> expected) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false"); // ask about the topic, not the cluster
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, new byte[] {1})).get())
          .as("producing as %s", client.getOrDefault("sasl.jaas.config", client.getOrDefault("ssl.keystore.location", "anonymous")))
          .satisfies(e -> assertThat(rootOrSelf(e, expected)).isInstanceOf(expected));
    }
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(new TopicPartition(topic, 0)));
      assertThatThrownBy(() -> {
        for (int i = 0; i < 30; i++) {
          consumer.poll(Duration.ofMillis(500));
        }
      }).satisfies(e -> assertThat(rootOrSelf(e, expected)).isInstanceOf(expected));
    }
  }

  /** The first of {@code e} and its causes that is an {@code expected}, else {@code e} itself. */
  private static Throwable rootOrSelf(Throwable e, Class<? extends Exception> expected) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (expected.isInstance(t)) {
        return t;
      }
    }
    return e;
  }

  private static Map<String, String> trustingBroker() {
    return Map.of("ssl.truststore.type", "PKCS12", "ssl.truststore.location", truststore.path().toString(),
        "ssl.truststore.password", truststore.password());
  }

  private static Map<String, String> scramClient(String user, String password) {
    Map<String, String> client = new LinkedHashMap<>(trustingBroker());
    client.put("security.protocol", "SASL_SSL");
    client.put("sasl.mechanism", MECHANISM);
    client.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user + "\" password=\"" + password + "\";");
    return client;
  }

  private static String newTopic(String purpose) throws IOException {
    return new KafkaTestClient(broker.bootstrapServers()).newTopic(TOPIC_PREFIX + purpose, 1);
  }
}
