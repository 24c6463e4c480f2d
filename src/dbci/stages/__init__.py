"""The pipeline's stages: build, check, deploy."""
