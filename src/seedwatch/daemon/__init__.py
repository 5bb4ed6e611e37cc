"""The daemon: CLI, configuration, fetching, the pipeline, scheduling, backfill."""
