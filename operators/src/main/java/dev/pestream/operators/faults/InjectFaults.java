package dev.pestream.operators.faults;

import dev.pestream.operators.decode.DecodedChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Chaos testing: passes decoded chunks through, except that on a chunk named in {@link
 * FaultPoints} it throws {@link InjectedFault}, so the task fails and the job recovers from its
 * last checkpoint. Each point fires at most once over the job's life: before throwing it creates
 * a marker file, and a point whose marker exists passes. State cannot hold that record, because
 * the failure rolls state back to a checkpoint taken before the fault.
 *
 * <p>Wired only when {@link FaultInjectionOptions} are set; a job without them has no such
 * operator.
 */
public class InjectFaults extends ProcessFunction<DecodedChunk, DecodedChunk> implements ResultTypeQueryable<DecodedChunk> {
  private static final long serialVersionUID = 1L;

  public static final String METRIC_FAULTS_INJECTED = "faultsInjected";

  private final FaultPoints points;

  private transient FileSystem markers;
  private transient Counter injected;

  public InjectFaults(FaultPoints points) {
    this.points = points;
  }

  @Override
  public void open(OpenContext openContext) throws IOException {
    Path dir = new Path(points.markerDir());
    markers = dir.getFileSystem();
    markers.mkdirs(dir);
    injected = getRuntimeContext().getMetricGroup().counter(METRIC_FAULTS_INJECTED);
  }

  @Override
  public void processElement(DecodedChunk chunk, Context ctx, Collector<DecodedChunk> out) {
    if (points.contains(chunk.streamId, chunk.seq) && markFired(chunk.streamId, chunk.seq)) {
      injected.inc();
      throw new InjectedFault(chunk.streamId, chunk.seq);
    }
    out.collect(chunk);
  }

  /** Records that the fault at this chunk fires now; false if it already fired. */
  private boolean markFired(String streamId, long seq) {
    Path marker = new Path(points.markerDir(), FaultPoints.markerName(streamId, seq));
    try {
      if (markers.exists(marker)) {
        return false;
      }
      markers.create(marker, FileSystem.WriteMode.NO_OVERWRITE).close();
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fault marker " + marker
          + " (testing.fault-markers must be a directory every TaskManager can write)", e);
    }
  }

  @Override
  public TypeInformation<DecodedChunk> getProducedType() {
    return TypeInformation.of(DecodedChunk.class);
  }
}
