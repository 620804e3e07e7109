"""routing data: salespeople details, teams, territories, accounts, campaigns,
policies, decisions; leads and assignments gain what routing needs
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=True),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=True),
        sa.Column("product_line", sa.String(length=200), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("scoring", sa.JSON(), nullable=True),
        sa.Column("policy_name", sa.String(length=200), nullable=True),
        sa.Column("sales_kit", sa.JSON(), nullable=False),
        sa.Column("sla", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_table(
        "routing_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version"),
    )
    with op.batch_alter_table("routing_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_policies_name"), ["name"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "territories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("postal_prefixes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["salespeople.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("salesperson_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["salesperson_id"], ["salespeople.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "salesperson_id"),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_members_salesperson_id"), ["salesperson_id"], unique=False
        )

    op.create_table(
        "decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("scored_event_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("salesperson_id", sa.Uuid(), nullable=True),
        sa.Column("policy_name", sa.String(length=200), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
        ),
        sa.ForeignKeyConstraint(
            ["salesperson_id"],
            ["salespeople.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_decided_at"), ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_decisions_scored_event_id"), ["scored_event_id"], unique=False
        )

    op.create_table(
        "pool_rotations",
        sa.Column("pool", sa.String(length=200), nullable=False),
        sa.Column("last_salesperson_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["last_salesperson_id"], ["salespeople.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pool"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("pool", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("strategy", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_assignments_pool"), ["pool"], unique=False)
        batch_op.create_foreign_key(
            "fk_assignments_decision_id_decisions", "decisions", ["decision_id"], ["id"]
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_key", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("phone_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("company_domain", sa.String(length=253), nullable=True))
        batch_op.add_column(
            sa.Column("value", sa.Double(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("owner_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_leads_company_domain"), ["company_domain"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_leads_email_key"), ["email_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_phone_key"), ["phone_key"], unique=False)
        batch_op.create_index(
            "ix_leads_status_received_at", ["status", "received_at"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_leads_owner_id_salespeople", "salespeople", ["owner_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_leads_merged_into_id_leads", "leads", ["merged_into_id"], ["id"]
        )

    # Existing salespeople get neutral values: active stays active, inactive is paused,
    # no constraints on language, skill, hours or capacity.
    json_list, json_dict = sa.text("'[]'"), sa.text("'{}'")
    with op.batch_alter_table("salespeople", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="active")
        )
        batch_op.add_column(
            sa.Column("languages", sa.JSON(), nullable=False, server_default=json_list)
        )
        batch_op.add_column(
            sa.Column("skills", sa.JSON(), nullable=False, server_default=json_list)
        )
        batch_op.add_column(
            sa.Column("seniority", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
        )
        batch_op.add_column(
            sa.Column("working_hours", sa.JSON(), nullable=False, server_default=json_dict)
        )
        batch_op.add_column(
            sa.Column("holidays", sa.JSON(), nullable=False, server_default=json_list)
        )
        batch_op.add_column(
            sa.Column("out_of_office", sa.JSON(), nullable=False, server_default=json_list)
        )
        batch_op.add_column(sa.Column("max_new_per_day", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_open", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("weight", sa.Double(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE salespeople SET updated_at = created_at")
    op.execute("UPDATE salespeople SET status = 'paused' WHERE active = false")
    with op.batch_alter_table("salespeople", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("active")


def downgrade() -> None:
    with op.batch_alter_table("salespeople", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.execute("UPDATE salespeople SET active = false WHERE status <> 'active'")
    with op.batch_alter_table("salespeople", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("weight")
        batch_op.drop_column("max_open")
        batch_op.drop_column("max_new_per_day")
        batch_op.drop_column("out_of_office")
        batch_op.drop_column("holidays")
        batch_op.drop_column("working_hours")
        batch_op.drop_column("time_zone")
        batch_op.drop_column("seniority")
        batch_op.drop_column("skills")
        batch_op.drop_column("languages")
        batch_op.drop_column("status")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint("fk_leads_merged_into_id_leads", type_="foreignkey")
        batch_op.drop_constraint("fk_leads_owner_id_salespeople", type_="foreignkey")
        batch_op.drop_index("ix_leads_status_received_at")
        batch_op.drop_index(batch_op.f("ix_leads_phone_key"))
        batch_op.drop_index(batch_op.f("ix_leads_owner_id"))
        batch_op.drop_index(batch_op.f("ix_leads_email_key"))
        batch_op.drop_index(batch_op.f("ix_leads_company_domain"))
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("owner_id")
        batch_op.drop_column("value")
        batch_op.drop_column("company_domain")
        batch_op.drop_column("phone_key")
        batch_op.drop_column("email_key")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_assignments_decision_id_decisions", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_assignments_pool"))
        batch_op.drop_column("strategy")
        batch_op.drop_column("pool")
        batch_op.drop_column("decision_id")

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_scored_event_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_lead_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_decided_at"))

    op.drop_table("pool_rotations")
    op.drop_table("decisions")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_salesperson_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_owner_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_name"))

    op.drop_table("accounts")
    op.drop_table("territories")
    op.drop_table("teams")
    with op.batch_alter_table("routing_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_policies_name"))

    op.drop_table("routing_policies")
    op.drop_table("campaigns")
