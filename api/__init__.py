"""Interfaces: the HTTP API, the web page and the command line."""
