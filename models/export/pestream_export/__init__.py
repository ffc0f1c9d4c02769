"""PE Stream exporter: PE-AV / PE-A-Frame checkpoints -> split ONNX bundles (pestream-bundle/1)."""
