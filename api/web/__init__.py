"""The single-page web app served by `camreg serve`: shell, static files, map libraries."""
