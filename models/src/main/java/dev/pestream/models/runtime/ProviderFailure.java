package dev.pestream.models.runtime;

/** An execution provider that could not be used for a graph, and why (ONNX Runtime's message). */
public record ProviderFailure(ExecutionProvider provider, String reason) {}
