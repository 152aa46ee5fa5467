"""Every result and chat answer has an owner; job claims keep an identical request from running twice.

Revision ID: 0002_owners_and_jobs
Revises: 0001_results
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_owners_and_jobs"
down_revision = "0001_results"

LOCAL_OWNER = "local"  # the single user of a laptop install owns what was made before owners existed


def upgrade() -> None:
    for table in ("results", "chat_answers"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner", sa.Text, nullable=False, server_default=LOCAL_OWNER))
        op.create_index(f"{table}_owner", table, ["owner", "created_at"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("lab", sa.Text, nullable=False),
        sa.Column("request_key", sa.Text, nullable=False),
        sa.Column("what", sa.Text, nullable=False, server_default=""),
        sa.Column("model_label", sa.Text, nullable=False, server_default=""),
        sa.Column("state", sa.Text, nullable=False),  # running | done | failed
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("error", sa.Text),
    )
    # At most one running job per owner, lab and request, across every server sharing the database.
    op.create_index("jobs_one_running", "jobs", ["owner", "lab", "request_key"], unique=True,
                    sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'"))
    op.create_index("jobs_started", "jobs", ["started_at"])
