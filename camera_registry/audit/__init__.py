"""Audit log: a hash-chained, append-only record of reads of personal data and searches."""
