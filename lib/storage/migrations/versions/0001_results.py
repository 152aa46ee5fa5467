"""Results, their images and chat answers (adopts a database made before migrations existed).

Revision ID: 0001_results
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_results"
down_revision = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "results" not in tables:
        op.create_table(
            "results",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("lab", sa.Text, nullable=False),
            sa.Column("task", sa.Text, nullable=False),
            sa.Column("model_id", sa.Text, nullable=False),
            sa.Column("model_label", sa.Text, nullable=False),
            sa.Column("prompt", sa.Text, nullable=False, server_default=""),
            sa.Column("negative_prompt", sa.Text, nullable=False, server_default=""),
            sa.Column("seed", sa.BigInteger),
            sa.Column("latency_s", sa.Float),
            sa.Column("cost_usd", sa.Float),
            sa.Column("region", sa.Text),
            sa.Column("request_json", sa.Text, nullable=False),
            sa.Column("body_json", sa.Text, nullable=False),
            sa.Column("notes_json", sa.Text, nullable=False, server_default="[]"),
            sa.Column("request_key", sa.Text),
            sa.Column("after_cancel", sa.Integer, nullable=False, server_default="0"),
        )
    else:  # made by an earlier version of the app: gain the columns it lacks, keep every row
        have = _columns("results")
        with op.batch_alter_table("results") as batch:
            if "request_key" not in have:
                batch.add_column(sa.Column("request_key", sa.Text))
            if "after_cancel" not in have:
                batch.add_column(sa.Column("after_cancel", sa.Integer, nullable=False, server_default="0"))
    if "images" not in tables:
        op.create_table(
            "images",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("result_id", sa.Text, sa.ForeignKey("results.id", ondelete="CASCADE"), nullable=False),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("idx", sa.Integer, nullable=False),
            sa.Column("sha256", sa.Text, nullable=False),
            sa.Column("file", sa.Text, nullable=False),
            sa.Column("format", sa.Text, nullable=False),
            sa.Column("width", sa.Integer, nullable=False),
            sa.Column("height", sa.Integer, nullable=False),
            sa.Column("seed", sa.BigInteger),
        )
    if "chat_answers" not in tables:
        op.create_table(
            "chat_answers",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("lab", sa.Text, nullable=False),
            sa.Column("conversation_key", sa.Text, nullable=False),
            sa.Column("model_id", sa.Text, nullable=False),
            sa.Column("model_label", sa.Text, nullable=False),
            sa.Column("region", sa.Text),
            sa.Column("answer", sa.Text, nullable=False),
            sa.Column("input_tokens", sa.Integer),
            sa.Column("output_tokens", sa.Integer),
            sa.Column("cost_usd", sa.Float),
            sa.Column("latency_s", sa.Float),
            sa.Column("prompt", sa.Text, nullable=False, server_default=""),
            sa.Column("after_cancel", sa.Integer, nullable=False, server_default="0"),
        )
    else:
        have = _columns("chat_answers")
        with op.batch_alter_table("chat_answers") as batch:
            if "prompt" not in have:
                batch.add_column(sa.Column("prompt", sa.Text, nullable=False, server_default=""))
            if "after_cancel" not in have:
                batch.add_column(sa.Column("after_cancel", sa.Integer, nullable=False, server_default="0"))
    indexes = {i["name"] for t in ("results", "images", "chat_answers")
               for i in sa.inspect(op.get_bind()).get_indexes(t)}
    for name, table, columns in (("results_created", "results", ["created_at"]),
                                 ("images_result", "images", ["result_id"]),
                                 ("results_request_key", "results", ["request_key", "created_at"]),
                                 ("chat_answers_key", "chat_answers", ["conversation_key", "created_at"])):
        if name not in indexes:
            op.create_index(name, table, columns)
