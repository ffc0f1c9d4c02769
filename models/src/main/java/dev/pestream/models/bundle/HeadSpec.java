package dev.pestream.models.bundle;

/**
 * A scoring head: the text graph output that embeds prompts for one modality, and how a dot
 * product becomes a probability: {@code sigmoid(dot(a, t) * logitScale + logitBias)} on raw (not
 * normalised) embeddings, as the reference models score.
 */
public record HeadSpec(String graph, String output, double logitScale, double logitBias, Double threshold) {

  public HeadSpec {
    if (graph == null || output == null) {
      throw new IllegalArgumentException("a head needs 'graph' and 'output'");
    }
  }

  /** The manifest's default decision threshold, or {@code fallback} when the head has none. */
  public double thresholdOr(double fallback) {
    return threshold == null ? fallback : threshold;
  }

  public double logit(float[] embedding, float[] textEmbedding) {
    return dot(embedding, textEmbedding) * logitScale + logitBias;
  }

  public double probability(float[] embedding, float[] textEmbedding) {
    return probabilityOfDot(dot(embedding, textEmbedding));
  }

  /** The probability for an already computed {@code dot(embedding, textEmbedding)} (e.g. from a vector index). */
  public double probabilityOfDot(double dot) {
    return 1.0 / (1.0 + Math.exp(-(dot * logitScale + logitBias)));
  }

  static double dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("embedding sizes differ: " + a.length + " vs " + b.length);
    }
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }
}
