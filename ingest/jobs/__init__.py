"""The ingest job queue (a table any worker can take jobs from) and the runner that drains it."""
