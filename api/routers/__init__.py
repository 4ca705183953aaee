"""HTTP routers: thin functions that parse, call a service and return a schema."""
