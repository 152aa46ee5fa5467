"""The instructor's controls: a small shared key/value table (pause switch, last readiness verdict), and on
each job claim its estimated cost (spend caps count calls in flight) and the kind of error it ended with
(the class dashboard's "errors by kind").

Revision ID: 0004_class_control
Revises: 0003_search_vectors
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_class_control"
down_revision = "0003_search_vectors"


def upgrade() -> None:
    op.create_table(
        "class_state",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),  # JSON
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False, server_default=""),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("est_cost_usd", sa.Float))
        batch.add_column(sa.Column("error_kind", sa.Text))
    op.create_index("jobs_state_owner", "jobs", ["state", "owner"])


def downgrade() -> None:
    op.drop_index("jobs_state_owner", "jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("error_kind")
        batch.drop_column("est_cost_usd")
    op.drop_table("class_state")
