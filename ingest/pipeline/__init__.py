"""Indexing recorded files: start times, storage of originals, decoding and event storage."""
