"""Storage behind one seam: results (History, chat answers, job claims), blobs (image bytes) and vectors.

`open_storage(settings)` picks the backends from settings, once per process:
- embedded default, nothing to set up: SQLite in the data folder, image files beside it, FAISS for lab 1;
- a class on several servers: WORKSHOP_DATABASE_URL=postgresql://… (results; lab 1's vectors in pgvector)
  and WORKSHOP_BLOB_URL=s3://bucket/prefix (image bytes).
Schema changes are named, ordered Alembic migrations (lib/storage/migrations), run at open.
"""
