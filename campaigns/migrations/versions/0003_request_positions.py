"""acceptance positions of outbound requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Each outbound request gets its position in the campaign's accepted requests
(batch after batch, entries in their order), and the campaign the last
position it gave. Runs dial and the API lists requests in this order: the
former order, ``(created_at, id)``, fell back on a random id for the
entries of one batch, and so differed from one database to another.

Existing requests are numbered 1, 2, ... per campaign in that former order
(the order their runs dialled them in on this database), and each campaign
remembers its last number.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Portable to PostgreSQL and SQLite (>= 3.33: UPDATE ... FROM, window functions).
NUMBER_EXISTING = """
UPDATE outbound_requests SET position = numbered.n
FROM (
    SELECT id, row_number() OVER (PARTITION BY campaign_id ORDER BY created_at, id) AS n
    FROM outbound_requests
) AS numbered
WHERE outbound_requests.id = numbered.id
"""
LAST_POSITIONS = """
UPDATE campaigns SET last_request_position = COALESCE(
    (SELECT max(o.position) FROM outbound_requests o WHERE o.campaign_id = campaigns.id), 0
)
"""


def upgrade() -> None:
    with op.batch_alter_table("outbound_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
    op.execute(NUMBER_EXISTING)
    with op.batch_alter_table("outbound_requests", schema=None) as batch_op:
        batch_op.alter_column("position", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint("uq_outbound_campaign_position", ["campaign_id", "position"])
        batch_op.drop_index("ix_outbound_campaign_status")
        batch_op.create_index(
            "ix_outbound_campaign_status_position", ["campaign_id", "status", "position"], unique=False
        )

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_request_position", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(LAST_POSITIONS)


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("last_request_position")
    with op.batch_alter_table("outbound_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_campaign_status_position")
        batch_op.create_index("ix_outbound_campaign_status", ["campaign_id", "status"], unique=False)
        batch_op.drop_constraint("uq_outbound_campaign_position", type_="unique")
        batch_op.drop_column("position")
