"""`wavehouse serve`: the web app and JSON API (FastAPI, served by uvicorn)."""
