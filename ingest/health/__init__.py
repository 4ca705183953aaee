"""Camera health: reachability and picture checks, debounced states, availability and alerts."""
