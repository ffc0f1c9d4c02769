package dev.pestream.jobs.run;

/**
 * Entry class of the job jar, for {@code flink run} and the Kubernetes operator: the arguments of
 * {@code pestream run} ({@code --help} lists every setting). It runs the same steps as that
 * command; a refused start fails the submission instead of exiting the JobManager's JVM.
 */
public final class JobLauncher {
  private JobLauncher() {}

  public static void main(String[] args) {
    int exit = RunCommand.commandLine().execute(args);
    if (exit != 0) {
      throw new IllegalStateException("the perception job did not start (exit code " + exit + ")");
    }
  }
}
