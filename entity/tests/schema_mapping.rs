//! The entities describe the migrated schema: relations join on the foreign-key columns, every
//! table cascades from its workspace, money is BIGINT, enumerations are TEXT, and the natural
//! keys filter on their columns. (Round trips against real databases live in the migration
//! crate's tests.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use entity::{
    account, account_daily, api_key, campaign, campaign_daily, channel, content, content_daily,
    customer, funnel_daily, group_daily, order, spend, staff_daily, workspace,
};
use sea_orm::sea_query::ForeignKeyAction;
use sea_orm::{ColumnTrait, ColumnType, DbBackend, EntityTrait, QueryTrait, RelationTrait};

fn postgres_sql(query: impl QueryTrait) -> String {
    query.build(DbBackend::Postgres).to_string()
}

#[test]
fn every_table_joins_its_workspace_and_is_deleted_with_it() {
    macro_rules! check {
        ($($module:ident => $table:literal),+ $(,)?) => {$(
            let sql = postgres_sql($module::Entity::find().find_also_related(workspace::Entity));
            let join = format!(
                r#"LEFT JOIN "workspace" ON "{}"."workspace_id" = "workspace"."id""#,
                $table
            );
            assert!(sql.contains(&join), "{sql}");
            assert!(
                matches!(
                    $module::Relation::Workspace.def().on_delete,
                    Some(ForeignKeyAction::Cascade)
                ),
                "{} must cascade from workspace",
                $table
            );
        )+};
    }
    check!(
        api_key => "api_key",
        account => "account",
        channel => "channel",
        campaign => "campaign",
        content => "content",
        customer => "customer",
        order => "orders",
        spend => "spend",
        content_daily => "content_daily",
        account_daily => "account_daily",
        funnel_daily => "funnel_daily",
        campaign_daily => "campaign_daily",
        staff_daily => "staff_daily",
        group_daily => "group_daily",
    );
}

#[test]
fn belongs_to_relations_join_on_their_foreign_keys() {
    let cases = [
        (
            postgres_sql(content::Entity::find().find_also_related(account::Entity)),
            r#"LEFT JOIN "account" ON "content"."account_id" = "account"."id""#,
        ),
        (
            postgres_sql(content::Entity::find().find_also_related(campaign::Entity)),
            r#"LEFT JOIN "campaign" ON "content"."campaign_id" = "campaign"."id""#,
        ),
        (
            postgres_sql(order::Entity::find().find_also_related(customer::Entity)),
            r#"LEFT JOIN "customer" ON "orders"."customer_id" = "customer"."id""#,
        ),
        (
            postgres_sql(spend::Entity::find().find_also_related(channel::Entity)),
            r#"LEFT JOIN "channel" ON "spend"."channel_id" = "channel"."id""#,
        ),
        (
            postgres_sql(content_daily::Entity::find().find_also_related(content::Entity)),
            r#"LEFT JOIN "content" ON "content_daily"."content_id" = "content"."id""#,
        ),
        (
            postgres_sql(funnel_daily::Entity::find().find_also_related(campaign::Entity)),
            r#"LEFT JOIN "campaign" ON "funnel_daily"."campaign_id" = "campaign"."id""#,
        ),
    ];
    for (sql, join) in cases {
        assert!(sql.contains(join), "{sql}");
    }
}

#[test]
fn column_types_match_the_migrations() {
    let cases = [
        (order::Column::Amount.def(), ColumnType::BigInteger, false),
        (
            order::Column::RefundedAmount.def(),
            ColumnType::BigInteger,
            false,
        ),
        (campaign::Column::Budget.def(), ColumnType::BigInteger, true),
        (spend::Column::Amount.def(), ColumnType::BigInteger, false),
        (
            content_daily::Column::Reads.def(),
            ColumnType::BigInteger,
            false,
        ),
        (
            staff_daily::Column::ReplyMinutesTotal.def(),
            ColumnType::Double,
            false,
        ),
        (
            workspace::Column::LtvHorizonMonths.def(),
            ColumnType::Integer,
            false,
        ),
        (order::Column::PaidDate.def(), ColumnType::Date, false),
        (
            api_key::Column::RevokedAt.def(),
            ColumnType::TimestampWithTimeZone,
            true,
        ),
        (api_key::Column::Role.def(), ColumnType::Text, false),
        (account::Column::Kind.def(), ColumnType::Text, false),
        (campaign::Column::Kind.def(), ColumnType::Text, false),
        (content::Column::Kind.def(), ColumnType::Text, false),
    ];
    for (def, column_type, nullable) in cases {
        assert_eq!(def.get_column_type(), &column_type);
        assert_eq!(def.is_null(), nullable, "{column_type:?}");
    }
}

#[test]
fn natural_keys_filter_on_their_columns() {
    let sql = postgres_sql(account::Entity::find_by_natural_key((7, "oa".to_owned())));
    assert!(
        sql.ends_with(r#"WHERE "account"."workspace_id" = 7 AND "account"."key" = 'oa'"#),
        "{sql}"
    );
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let sql = postgres_sql(staff_daily::Entity::find_by_natural_key((
        7,
        3,
        "zhangsan".to_owned(),
        day,
    )));
    assert!(
        sql.ends_with(
            r#"WHERE "staff_daily"."workspace_id" = 7 AND "staff_daily"."account_id" = 3 AND "staff_daily"."staff" = 'zhangsan' AND "staff_daily"."date" = '2026-11-22'"#
        ),
        "{sql}"
    );
    let sql = postgres_sql(api_key::Entity::find_by_key_hash("ab"));
    assert!(
        sql.ends_with(r#"WHERE "api_key"."key_hash" = 'ab'"#),
        "{sql}"
    );
}
