package dev.pestream.operators.captions;

import dev.pestream.operators.decode.DecodedChunk;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;

/**
 * Takes what the caption stage needs from a decoded chunk (its clock range, gap and failure marks,
 * caption frames), leaving the model-ready pixels and audio behind so that only JPEGs travel on.
 */
public class CaptionChunks implements MapFunction<DecodedChunk, CaptionChunk>, ResultTypeQueryable<CaptionChunk> {
  private static final long serialVersionUID = 1L;

  @Override
  public CaptionChunk map(DecodedChunk decoded) {
    return of(decoded);
  }

  public static CaptionChunk of(DecodedChunk d) {
    CaptionChunk c = new CaptionChunk();
    c.streamId = d.streamId;
    c.seq = d.seq;
    c.startUs = d.startUs;
    c.endUs = d.startUs + d.durationUs;
    c.ingestTimeMs = d.ingestTimeMs;
    c.gapBefore = d.gapBefore;
    c.decodeFailed = d.decodeFailed;
    c.frames = new CaptionFrame[d.captionPtsUs.length];
    for (int i = 0; i < c.frames.length; i++) {
      c.frames[i] = new CaptionFrame(d.captionPtsUs[i], d.captionJpegs[i]);
    }
    return c;
  }

  @Override
  public TypeInformation<CaptionChunk> getProducedType() {
    return TypeInformation.of(CaptionChunk.class);
  }
}
