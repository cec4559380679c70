"""The whole method as one command (tools/run_pipeline.py): a step graph run as subprocesses."""
