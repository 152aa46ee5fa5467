"""Lab 1's index in PostgreSQL + pgvector: the spaces and the owned sources (PostgreSQL only).

Each (model, dimension) space gets its own vectors table with a fixed `vector(N)` column and an HNSW index;
pgvector needs the dimension fixed, so lib/search/index/postgres.py creates that table at the space's first use
(idempotent, under an advisory lock). On SQLite this revision does nothing: the embedded default keeps
lab 1's vectors in FAISS files (lib/search/index.py).

Revision ID: 0003_search_vectors
Revises: 0002_owners_and_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_search_vectors"
down_revision = "0002_owners_and_jobs"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The extension may need a superuser; a server without pgvector keeps History working and lab 1 says
    # what to install when it first needs a vectors table (lib/search/index/postgres.py).
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first()
    if available:
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        except sa.exc.DBAPIError:
            pass  # not allowed here: an administrator runs CREATE EXTENSION vector once
    op.create_table(
        "search_spaces",
        sa.Column("slug", sa.Text, primary_key=True),
        sa.Column("model_id", sa.Text, nullable=False),
        sa.Column("dimension", sa.Integer, nullable=False),
        sa.Column("vectors_table", sa.Text, nullable=False),
        sa.Column("last_build", sa.Float),
    )
    op.create_table(
        "search_sources",
        sa.Column("space", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),  # "" = shared: the samples and what an instructor adds
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("sha", sa.Text, nullable=False),
        sa.Column("root", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("space", "owner", "ref"),
    )
    op.create_index("search_sources_by_sha", "search_sources", ["space", "sha"])
    op.create_index("search_sources_by_root", "search_sources", ["space", "owner", "root"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("search_sources")
    op.drop_table("search_spaces")  # the per-space vectors tables are dropped by hand (named in vectors_table)
