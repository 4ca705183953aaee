"""The records: cameras, areas, people and keys, change log and audit log."""
