//! The migrations on both backends: up, down and up again; the entities read back what they
//! write; and the constraints reject what they must.
//!
//! SQLite runs in memory every time. PostgreSQL runs when `WEKPI_TEST_DATABASE_URL` names an
//! admin-capable server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`): the test creates
//! a database with a random name, runs there and drops it, so parallel runs never share one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{NaiveDate, TimeZone, Utc};
use entity::{
    AccountKind, ApiRole, CampaignKind, ContentKind, Money, account, account_daily, api_key,
    campaign, campaign_daily, channel, content, content_daily, customer, funnel_daily, group_daily,
    order, spend, staff_daily, workspace,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, SqlErr, Statement,
};
use sea_orm_migration::SchemaManager;

const TABLES: [&str; 21] = [
    "workspace",
    "api_key",
    "account",
    "channel",
    "campaign",
    "content",
    "customer",
    "orders",
    "spend",
    "content_daily",
    "account_daily",
    "funnel_daily",
    "campaign_daily",
    "staff_daily",
    "group_daily",
    "kpi_threshold",
    "alert_rule",
    "alert",
    "alert_event",
    "webhook",
    "webhook_delivery",
];

#[tokio::test]
async fn sqlite_in_memory() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    exercise(db).await;
}

#[tokio::test]
async fn postgres_fresh_database() {
    let Ok(admin_url) = std::env::var("WEKPI_TEST_DATABASE_URL") else {
        // Written straight to stderr: the test harness captures `eprintln!` of passing tests,
        // and a skipped backend must be visible in every run.
        let _ = writeln!(
            std::io::stderr(),
            "PostgreSQL migration test skipped: WEKPI_TEST_DATABASE_URL not set"
        );
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("wekpi_migration_{}_{nanos}", std::process::id());

    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
        .await
        .unwrap();

    // Run in a task so that a failed assertion still lets us drop the database.
    let url = with_database(&admin_url, &name);
    let outcome = tokio::spawn(async move {
        let db = Database::connect(&url).await.unwrap();
        exercise(db.clone()).await;
        db.close().await.unwrap();
    })
    .await;

    admin
        .execute_unprepared(&format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#))
        .await
        .unwrap();
    admin.close().await.unwrap();
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn with_database_replaces_only_the_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

async fn exercise(db: DatabaseConnection) {
    Migrator::up(&db, None).await.unwrap();
    assert_tables(&db, true).await;
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        0
    );

    Migrator::down(&db, None).await.unwrap();
    assert_tables(&db, false).await;
    assert_eq!(
        Migrator::get_applied_migrations(&db).await.unwrap().len(),
        0
    );

    Migrator::up(&db, None).await.unwrap();
    assert_tables(&db, true).await;
    let applied: Vec<String> = Migrator::get_applied_migrations(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(
        applied,
        [
            "m20261122_000001_tenancy",
            "m20261122_000002_catalog",
            "m20261122_000003_commerce",
            "m20261122_000004_daily_facts",
            "m20261122_000005_kpi_thresholds",
            "m20261122_000006_alerting",
            "m20261122_000007_webhook_failures",
            "m20261122_000008_first_orders_index",
        ]
    );
    assert!(
        SchemaManager::new(&db)
            .has_column("webhook_delivery", "failed_at")
            .await
            .unwrap()
    );

    entities_round_trip(&db).await;
    constraints_bite(&db).await;
}

async fn assert_tables(db: &DatabaseConnection, exist: bool) {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(
            manager.has_table(table).await.unwrap(),
            exist,
            "{:?}: table {table} should {}exist",
            db.get_database_backend(),
            if exist { "" } else { "not " }
        );
    }
}

/// Writes one row through every entity and reads it back unchanged: the entities and the
/// migrated schema agree on names and types (money as cents, enums as text, dates, f64).
async fn entities_round_trip(db: &DatabaseConnection) {
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 8, 30, 15).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();

    macro_rules! round_trip {
        ($module:ident, $model:expr) => {{
            let model: $module::Model = $model;
            let inserted = model.clone().into_active_model().insert(db).await.unwrap();
            assert_eq!(inserted, model, "{} insert", stringify!($module));
            let found = $module::Entity::find_by_id(model.id).one(db).await.unwrap();
            assert_eq!(found, Some(model), "{} read back", stringify!($module));
        }};
    }

    round_trip!(
        workspace,
        workspace::Model {
            id: 100,
            name: "Round trip".into(),
            timezone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            gross_margin: 0.35,
            ltv_horizon_months: 24,
            created_at: at,
        }
    );
    round_trip!(
        api_key,
        api_key::Model {
            id: 100,
            workspace_id: 100,
            name: "ci".into(),
            role: ApiRole::Write,
            prefix: "wk_ab12".into(),
            key_hash: "0".repeat(64),
            created_at: at,
            revoked_at: Some(at),
        }
    );
    round_trip!(
        account,
        account::Model {
            id: 100,
            workspace_id: 100,
            key: "oa".into(),
            kind: AccountKind::ServiceAccount,
            name: "Official account".into(),
            external_id: None,
            created_at: at,
            updated_at: at,
        }
    );
    round_trip!(
        channel,
        channel::Model {
            id: 100,
            workspace_id: 100,
            key: "moments-ads".into(),
            name: "Moments ads".into(),
            created_at: at,
            updated_at: at,
        }
    );
    round_trip!(
        campaign,
        campaign::Model {
            id: 100,
            workspace_id: 100,
            key: "double-11".into(),
            kind: CampaignKind::Promotion,
            name: "Double 11".into(),
            starts_on: day,
            ends_on: day,
            budget: Some(Money::from_cents(1_234_550)),
            created_at: at,
            updated_at: at,
        }
    );
    round_trip!(
        content,
        content::Model {
            id: 100,
            workspace_id: 100,
            key: "article-1".into(),
            account_id: 100,
            kind: ContentKind::ShortVideo,
            title: "Launch".into(),
            published_at: at,
            campaign_id: Some(100),
            created_at: at,
            updated_at: at,
        }
    );
    round_trip!(
        customer,
        customer::Model {
            id: 100,
            workspace_id: 100,
            key: "openid-1".into(),
            first_seen_at: Some(at),
            channel_id: Some(100),
            account_id: None,
            created_at: at,
            updated_at: at,
        }
    );
    round_trip!(
        order,
        order::Model {
            id: 100,
            workspace_id: 100,
            key: "order-1".into(),
            customer_id: 100,
            paid_at: at,
            paid_date: day,
            amount: Money::from_cents(19_990),
            refunded_amount: Money::from_cents(990),
            channel_id: Some(100),
            campaign_id: None,
            account_id: Some(100),
            created_at: at,
            updated_at: at,
        }
    );
    round_trip!(
        spend,
        spend::Model {
            id: 100,
            workspace_id: 100,
            date: day,
            amount: Money::from_cents(50_000),
            channel_id: Some(100),
            campaign_id: None,
            updated_at: at,
        }
    );
    round_trip!(
        content_daily,
        content_daily::Model {
            id: 100,
            workspace_id: 100,
            content_id: 100,
            date: day,
            deliveries: 1000,
            opens: 300,
            reads: 250,
            readers: 200,
            completions: 120,
            shares: 40,
            sharers: 30,
            favorites: 12,
            likes: 55,
            comments: 7,
            clicks: 90,
            updated_at: at,
        }
    );
    round_trip!(
        account_daily,
        account_daily::Model {
            id: 100,
            workspace_id: 100,
            account_id: 100,
            date: day,
            new_followers: 40,
            unfollows: 3,
            total_followers: 10_037,
            updated_at: at,
        }
    );
    round_trip!(
        funnel_daily,
        funnel_daily::Model {
            id: 100,
            workspace_id: 100,
            account_id: 100,
            campaign_id: Some(100),
            date: day,
            visits: 500,
            checkouts: 60,
            payments: 45,
            updated_at: at,
        }
    );
    round_trip!(
        campaign_daily,
        campaign_daily::Model {
            id: 100,
            workspace_id: 100,
            campaign_id: 100,
            date: day,
            reached: 8000,
            participants: 900,
            ugc_posts: 35,
            updated_at: at,
        }
    );
    round_trip!(
        staff_daily,
        staff_daily::Model {
            id: 100,
            workspace_id: 100,
            account_id: 100,
            staff: "zhangsan".into(),
            date: day,
            chats: 80,
            messages: 640,
            replied_chats: 78,
            reply_minutes_total: 117.5,
            new_applies: 12,
            new_contacts: 10,
            negative_feedback: 1,
            updated_at: at,
        }
    );
    round_trip!(
        group_daily,
        group_daily::Model {
            id: 100,
            workspace_id: 100,
            account_id: 100,
            staff: "zhangsan".into(),
            date: day,
            groups_total: 5,
            active_groups: 4,
            members_total: 1200,
            active_members: 310,
            new_members: 25,
            messages: 2100,
            updated_at: at,
        }
    );
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

async fn ok(db: &DatabaseConnection, sql: &str) {
    if let Err(err) = exec(db, sql).await {
        panic!(
            "{:?}: expected success of {sql}: {err}",
            db.get_database_backend()
        );
    }
}

/// Asserts that `sql` fails on the CHECK constraint `name`.
async fn fails_check(db: &DatabaseConnection, sql: &str, name: &str) {
    let backend = db.get_database_backend();
    let err = exec(db, sql)
        .await
        .expect_err(&format!("{backend:?}: CHECK {name} accepted {sql}"));
    let message = err.to_string();
    assert!(
        message.to_lowercase().contains("check constraint") && message.contains(name),
        "{backend:?}: expected CHECK {name} to reject {sql}, got: {message}"
    );
}

/// Asserts that `sql` fails on a unique constraint.
async fn fails_unique(db: &DatabaseConnection, sql: &str) {
    let backend = db.get_database_backend();
    let err = exec(db, sql)
        .await
        .expect_err(&format!("{backend:?}: duplicate accepted: {sql}"));
    assert!(
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        "{backend:?}: expected a unique violation from {sql}, got: {err}"
    );
}

/// Asserts that `sql` fails on a foreign key.
async fn fails_foreign_key(db: &DatabaseConnection, sql: &str) {
    let backend = db.get_database_backend();
    let err = exec(db, sql)
        .await
        .expect_err(&format!("{backend:?}: foreign key ignored by {sql}"));
    assert!(
        matches!(
            err.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        ),
        "{backend:?}: expected a foreign key violation from {sql}, got: {err}"
    );
}

/// Raw SQL on purpose: the database itself must refuse these rows, whatever the application
/// does. Each refusal has a passing twin, so a failure cannot come from a broken statement.
async fn constraints_bite(db: &DatabaseConnection) {
    const TS: &str = "'2026-11-22T00:00:00Z'";
    ok(
        db,
        &format!(
            "INSERT INTO workspace (id, name, created_at) VALUES (1, 'one', {TS}), (2, 'two', {TS})"
        ),
    )
    .await;
    fails_check(
        db,
        &format!("INSERT INTO workspace (id, name, gross_margin, created_at) VALUES (3, 'bad', 1.5, {TS})"),
        "workspace_gross_margin_range",
    )
    .await;

    // Natural key (workspace_id, key) on account; the same key in another workspace is fine.
    let account = |id: i64, ws: i64, key: &str, kind: &str| {
        format!(
            "INSERT INTO account (id, workspace_id, key, kind, name, created_at, updated_at) \
             VALUES ({id}, {ws}, '{key}', '{kind}', 'n', {TS}, {TS})"
        )
    };
    ok(db, &account(1, 1, "oa", "WECOM")).await;
    ok(db, &account(2, 2, "oa", "WECOM")).await;
    fails_unique(db, &account(3, 1, "oa", "WECOM")).await;
    fails_check(db, &account(4, 1, "other", "wecom"), "account_kind_valid").await;

    ok(db, &format!(
        "INSERT INTO content (id, workspace_id, key, account_id, kind, title, published_at, created_at, updated_at) \
         VALUES (1, 1, 'c', 1, 'ARTICLE', 't', {TS}, {TS}, {TS})"
    ))
    .await;
    let content_daily = |date: &str, opens: i64, reads: i64, completions: i64| {
        format!(
            "INSERT INTO content_daily (workspace_id, content_id, date, opens, reads, completions, updated_at) \
             VALUES (1, 1, '{date}', {opens}, {reads}, {completions}, {TS})"
        )
    };
    ok(db, &content_daily("2026-11-01", 5, 3, 3)).await;
    fails_check(
        db,
        &content_daily("2026-11-02", -1, 3, 3),
        "content_daily_opens_nonneg",
    )
    .await;
    fails_check(
        db,
        &content_daily("2026-11-03", 5, 3, 4),
        "content_daily_completions_le_reads",
    )
    .await;
    fails_unique(db, &content_daily("2026-11-01", 5, 3, 3)).await;

    // spend_nk treats a NULL channel / campaign as a value of its own.
    ok(db, &format!(
        "INSERT INTO channel (id, workspace_id, key, name, created_at, updated_at) VALUES (1, 1, 'ads', 'Ads', {TS}, {TS})"
    ))
    .await;
    let spend = |channel: &str| {
        format!(
            "INSERT INTO spend (workspace_id, date, amount, channel_id, campaign_id, updated_at) \
             VALUES (1, '2026-11-01', 100, {channel}, NULL, {TS})"
        )
    };
    ok(db, &spend("NULL")).await;
    ok(db, &spend("1")).await;
    fails_unique(db, &spend("NULL")).await;
    fails_unique(db, &spend("1")).await;

    // funnel_daily_nk, the other expression index, and the funnel ordering.
    let funnel = |visits: i64, checkouts: i64| {
        format!(
            "INSERT INTO funnel_daily (workspace_id, account_id, campaign_id, date, visits, checkouts, updated_at) \
             VALUES (1, 1, NULL, '2026-11-01', {visits}, {checkouts}, {TS})"
        )
    };
    fails_check(db, &funnel(1, 2), "funnel_daily_checkouts_le_visits").await;
    ok(db, &funnel(2, 1)).await;
    fails_unique(db, &funnel(2, 1)).await;

    // Money columns: refunds never exceed the amount.
    ok(db, &format!(
        "INSERT INTO customer (id, workspace_id, key, created_at, updated_at) VALUES (1, 1, 'u', {TS}, {TS})"
    ))
    .await;
    let order = |key: &str, amount: i64, refunded: i64| {
        format!(
            "INSERT INTO orders (workspace_id, key, customer_id, paid_at, paid_date, amount, refunded_amount, created_at, updated_at) \
             VALUES (1, '{key}', 1, {TS}, '2026-11-22', {amount}, {refunded}, {TS}, {TS})"
        )
    };
    ok(db, &order("o1", 100, 100)).await;
    fails_check(
        db,
        &order("o2", 100, 101),
        "orders_refunded_amount_le_amount",
    )
    .await;

    // Plain foreign keys refuse dangling ids and keep referenced rows alive.
    let dangling = format!(
        "INSERT INTO content (id, workspace_id, key, account_id, kind, title, published_at, created_at, updated_at) \
         VALUES (2, 1, 'c2', 999, 'ARTICLE', 't', {TS}, {TS}, {TS})"
    );
    fails_foreign_key(db, &dangling).await;
    fails_foreign_key(db, "DELETE FROM account WHERE id = 1").await;

    // Deleting a workspace deletes its rows in every table, and nothing else.
    ok(db, "DELETE FROM workspace WHERE id = 1").await;
    for table in [
        "account",
        "content",
        "content_daily",
        "channel",
        "spend",
        "funnel_daily",
        "customer",
        "orders",
    ] {
        assert_eq!(
            count_in_workspace(db, table, 1).await,
            0,
            "{:?}: {table} rows of a deleted workspace remain",
            db.get_database_backend()
        );
    }
    assert_eq!(count_in_workspace(db, "account", 2).await, 1);
}

async fn count_in_workspace(db: &DatabaseConnection, table: &str, workspace: i64) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(r#"SELECT COUNT(*) AS "n" FROM "{table}" WHERE workspace_id = {workspace}"#),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}
