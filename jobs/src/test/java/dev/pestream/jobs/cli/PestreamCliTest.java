package dev.pestream.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PestreamCliTest {
  @Test
  void theTopLevelCommandListsEveryCommand() {
    StringWriter out = new StringWriter();
    CommandLine cli = PestreamCli.commandLine();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("--help")).isZero();
    assertThat(out.toString()).contains("ingest", "run", "demo");
    assertThat(cli.getSubcommands()).containsKeys("ingest", "run", "demo");
  }
}
