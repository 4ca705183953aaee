"""The `camreg` command line: the local operator (actor `cli:<os user>`, admin role)."""
