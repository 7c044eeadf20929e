"""run leases, recorded segments and attempt history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Runs get a lease (owner, epoch, expiry) so that several servers on one
PostgreSQL can claim and take over runs; outbound requests remember the run
segment that claimed them; ``run_segments`` records each segment's claim and
``run_attempts`` each execution.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("lease_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("worker_host", sa.String(length=255), nullable=True))

    with op.batch_alter_table("outbound_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment", sa.Integer(), nullable=True))
        batch_op.create_index("ix_outbound_run_segment", ["run_id", "segment"], unique=False)

    op.create_table(
        "run_segments",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("contact_list_id", sa.String(length=64), nullable=True),
        sa.Column("document_contacts", sa.Boolean(), nullable=False),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.Column("claimed_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "segment"),
    )
    op.create_table(
        "run_attempts",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("executor", sa.String(length=255), nullable=False),
        sa.Column("worker_host", sa.String(length=255), nullable=True),
        sa.Column("worker_pid", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "epoch"),
    )


def downgrade() -> None:
    op.drop_table("run_attempts")
    op.drop_table("run_segments")
    with op.batch_alter_table("outbound_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_run_segment")
        batch_op.drop_column("segment")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("worker_host")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_epoch")
        batch_op.drop_column("lease_owner")
