package dev.pestream.operators.faults;

/** Thrown on purpose by {@link InjectFaults} (chaos testing): not a defect of the job or its input. */
public final class InjectedFault extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InjectedFault(String streamId, long seq) {
    super("injected fault at chunk " + FaultPoints.chunkId(streamId, seq)
        + " (chaos testing, " + FaultInjectionOptions.FAIL_ON.key() + "): the task fails on purpose, once");
  }
}
