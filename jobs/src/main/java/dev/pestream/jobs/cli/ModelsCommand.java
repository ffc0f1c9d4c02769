package dev.pestream.jobs.cli;

import dev.pestream.jobs.run.CliError;
import dev.pestream.jobs.run.ExitCode;
import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.BundleSource;
import dev.pestream.models.bundle.BundleValidationException;
import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.bundle.ModelsHome;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code pestream models pull|list|verify}: real PE weights from a model hub into the models home
 * ({@link ModelsHome}), installed bundles, and their integrity. {@code pull} runs the exporter
 * (models/export: its venv, then {@code python -m pestream_export.hub pull}); {@code list} and
 * {@code verify} are Java only.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "Install, list and verify model bundles (real PE weights in one command: 'pestream models pull facebook/pe-av-small').",
    subcommands = {ModelsCommand.Pull.class, ModelsCommand.ListInstalled.class, ModelsCommand.Verify.class})
public class ModelsCommand implements Runnable {
  /** Set by the {@code pestream} launcher: the project checkout the exporter lives in. */
  static final String ROOT_ENV = "PESTREAM_ROOT";

  @Override
  public void run() {
    throw new CliError(ExitCode.USAGE, "give a subcommand: pull, list or verify", "see 'pestream models --help'");
  }

  static ModelsHome home(Path explicit) {
    return ModelsHome.of(explicit, System.getenv());
  }

  @Command(name = "pull", mixinStandardHelpOptions = true, description = {
      "Download PE checkpoints with huggingface_hub (progress bar, resumes dropped connections; HF_ENDPOINT for a mirror), export fp32 and fp16",
      "bundles, check them against transformers (parity) and install them as NAME/fp32 and NAME/fp16 in the models home.",
      "Sets up the exporter's Python environment first (models/export/setup-venv.sh: ~6 GB, once per machine)."})
  static final class Pull implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "REPO_ID",
        description = "Hub repositories, e.g. facebook/pe-av-small facebook/pe-a-frame-small (several = one combined bundle).")
    List<String> repoIds;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(names = "--token", paramLabel = "env:NAME|file:PATH",
        description = "Where the hub token is: an environment variable or a file (never the token itself). Default: huggingface_hub's (HF_TOKEN).")
    String token;

    @Option(names = "--name", paramLabel = "NAME", description = "Folder name in the models home (default: the repository names joined by +).")
    String name;

    @Option(names = "--models-home", paramLabel = "DIR", description = "Default: $" + ModelsHome.ENV + " or ~/.pestream/models.")
    Path modelsHome;

    @Option(names = "--exporter", paramLabel = "DIR", description = "The exporter folder (default: models/export of this checkout).")
    Path exporter;

    @Option(names = "--python", paramLabel = "PATH",
        description = "A Python that already has the exporter's requirements (models/export/requirements.txt); skips setting up models/export/.venv.")
    Path python;

    @Override
    public Integer call() throws Exception {
      if (token != null && !token.matches("(env|file):.+")) {
        throw new CliError(ExitCode.USAGE, "--token must be env:NAME or file:PATH", "a token on the command line would be in the shell history");
      }
      Path dir = exporterDir();
      if (python == null) {
        run(List.of(dir.resolve("setup-venv.sh").toString()), dir, "the exporter's Python environment could not be set up (see above)");
      } else if (!Files.isExecutable(python)) {
        throw new CliError(ExitCode.INPUT, "--python " + python + " is not an executable", "give the path of a python program");
      }
      Path interpreter = python != null ? python.toAbsolutePath() : dir.resolve(".venv/bin/python");
      List<String> command = new ArrayList<>(List.of(interpreter.toString(), "-m", "pestream_export.hub", "pull"));
      command.addAll(repoIds);
      addOption(command, "--revision", revision);
      addOption(command, "--token", token);
      addOption(command, "--name", name);
      command.add("--models-home");
      command.add(home(modelsHome).dir().toString());
      // the exporter prints its own one-line error; its exit codes are this CLI's (ExitCode)
      return new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start().waitFor();
    }

    private Path exporterDir() {
      Path dir = exporter;
      if (dir == null) {
        String root = System.getenv(ROOT_ENV);
        dir = (root != null ? Path.of(root) : Path.of("")).toAbsolutePath().resolve("models").resolve("export");
      }
      if (!Files.isRegularFile(dir.resolve("setup-venv.sh"))) {
        throw new CliError(ExitCode.INPUT, "no exporter in " + dir, "run ./pestream from the project checkout, or pass --exporter DIR");
      }
      return dir;
    }

    private static void addOption(List<String> command, String option, String value) {
      if (value != null) {
        command.add(option);
        command.add(value);
      }
    }

    private static void run(List<String> command, Path dir, String failure) throws IOException, InterruptedException {
      int code = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start().waitFor();
      if (code != 0) {
        throw new CliError(ExitCode.FAILURE, failure, "fix the cause, then run the same command again");
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The bundles installed in the models home, with their source and parity.")
  static final class ListInstalled implements Callable<Integer> {
    @Option(names = "--models-home", paramLabel = "DIR", description = "Default: $" + ModelsHome.ENV + " or ~/.pestream/models.")
    Path modelsHome;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      ModelsHome home = home(modelsHome);
      PrintWriter out = spec.commandLine().getOut();
      List<ModelsHome.Installed> installed = home.list();
      if (installed.isEmpty()) {
        out.println("no models installed in " + home.dir() + " (install one: pestream models pull facebook/pe-av-small)");
        out.flush();
        return 0;
      }
      out.printf(Locale.ROOT, "%-36s %-40s %-14s %-12s %s%n", "NAME", "MODEL", "COMMIT", "PARITY", "SIZE");
      for (ModelsHome.Installed bundle : installed) {
        String model;
        String commit = "-";
        String parity = "-";
        try {
          BundleManifest manifest = ModelBundle.readManifest(bundle.dir());
          model = manifest.modelId();
          BundleSource source = manifest.source();
          if (source != null) {
            commit = source.checkpoints().stream().map(c -> c.commit().substring(0, Math.min(12, c.commit().length())))
                .collect(Collectors.joining("+"));
            parity = source.parity() == null ? "-" : String.format(Locale.ROOT, "%s %.7f",
                source.parity().passed() ? "ok" : "FAIL", source.parity().minCosine());
          }
        } catch (BundleValidationException e) {
          model = "(unreadable manifest)";
        }
        out.printf(Locale.ROOT, "%-36s %-40s %-14s %-12s %s%n", bundle.name(), model, commit, parity, humanBytes(size(bundle.dir())));
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true, description = "Check an installed bundle (or a bundle folder): manifest, sha256 of every file, recorded parity.")
  static final class Verify implements Callable<Integer> {
    @Parameters(paramLabel = "NAME|DIR", description = "e.g. pe-av-small, pe-av-small/fp16, or a folder.")
    String model;

    @Option(names = "--models-home", paramLabel = "DIR", description = "Default: $" + ModelsHome.ENV + " or ~/.pestream/models.")
    Path modelsHome;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      Path dir = home(modelsHome).resolve(model);
      if (!Files.isDirectory(dir)) {
        throw new CliError(ExitCode.MODEL_BUNDLE, "no such folder or installed model: " + model, "see 'pestream models list'");
      }
      ModelBundle bundle = ModelBundle.load(dir); // throws naming every problem: exit code MODEL_BUNDLE
      BundleSource source = bundle.manifest().source();
      if (source != null && source.parity() != null && !source.parity().passed()) {
        throw new CliError(ExitCode.MODEL_BUNDLE, bundle.dir() + ": its export failed the parity check (see parity.json)",
            "pull it again");
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "ok: %s (%s), %d files match their sha256, %s%n", bundle.dir(), bundle.name(),
          bundle.manifest().files().size(),
          source == null || source.parity() == null ? "no recorded parity (not installed by models pull)"
              : String.format(Locale.ROOT, "parity min cos %.7f >= %s (%s)", source.parity().minCosine(),
                  source.parity().threshold(), source.parity().precision()));
      out.flush();
      return 0;
    }
  }

  static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static String humanBytes(long bytes) {
    if (bytes < 1 << 20) {
      return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }
    return bytes < 1L << 30 ? String.format(Locale.ROOT, "%.1f MB", bytes / (double) (1 << 20))
        : String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30));
  }
}
