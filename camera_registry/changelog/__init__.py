"""Change log: every registry write with actor, time, request id, before and after."""
