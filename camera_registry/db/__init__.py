"""Database plumbing: declarative base, engines, units of work, migrations."""
