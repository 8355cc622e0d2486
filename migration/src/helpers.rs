//! Column, constraint and index builders shared by the migrations.
//!
//! Migrations are history: whatever a helper emits is part of every migration that already
//! used it, so add a new helper rather than change one. Constraint and index names are
//! derived from table and column names (`<table>_<column>_nonneg`, `<table>_..._idx`,
//! `fk_<table>_<column>`) so that violations name what they broke on both backends.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden, Clone, Copy)]
enum Workspace {
    Table,
    Id,
}

fn name(iden: impl IntoIden) -> String {
    iden.into_iden().to_string()
}

/// `column BIGINT NOT NULL DEFAULT 0 CHECK (column >= 0)`, for event counts.
pub(crate) fn count<T: IntoIden + Copy>(table: T, column: T) -> ColumnDef {
    big_integer(column)
        .default(0)
        .check(non_negative(table, column))
        .take()
}

/// `CHECK (column >= 0)` named `<table>_<column>_nonneg`.
pub(crate) fn non_negative<T: IntoIden + Copy>(table: T, column: T) -> Check {
    Check::named(
        format!("{}_{}_nonneg", name(table), name(column)),
        Expr::col(column).gte(0),
    )
}

/// `CHECK (small <= big)` named `<table>_<small>_le_<big>`.
pub(crate) fn at_most<T: IntoIden + Copy>(table: T, small: T, big: T) -> Check {
    Check::named(
        format!("{}_{}_le_{}", name(table), name(small), name(big)),
        Expr::col(small).lte(Expr::col(big)),
    )
}

/// `CHECK (column IN (values))` named `<table>_<column>_valid`, for enumerations.
pub(crate) fn one_of<T: IntoIden + Copy>(table: T, column: T, values: &[&'static str]) -> Check {
    Check::named(
        format!("{}_{}_valid", name(table), name(column)),
        Expr::col(column).is_in(values.iter().copied()),
    )
}

/// `workspace_id BIGINT NOT NULL`; pair it with [`workspace_fk`].
pub(crate) fn workspace_id<T: IntoIden>(column: T) -> ColumnDef {
    big_integer(column)
}

/// `FOREIGN KEY (column) REFERENCES workspace (id) ON DELETE CASCADE`: a tenant's rows go
/// with the tenant.
pub(crate) fn workspace_fk<T: IntoIden + Copy>(table: T, column: T) -> ForeignKeyCreateStatement {
    references(table, column, Workspace::Table, Workspace::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

/// `FOREIGN KEY (column) REFERENCES ref_table (ref_column)`, named `fk_<table>_<column>`.
/// No ON DELETE action: deleting a referenced row fails while rows refer to it.
pub(crate) fn references<T, R>(
    table: T,
    column: T,
    ref_table: R,
    ref_column: R,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Copy,
    R: IntoIden,
{
    ForeignKey::create()
        .name(format!("fk_{}_{}", name(table), name(column)))
        .from(table, column)
        .to(ref_table, ref_column)
        .take()
}

/// `CREATE INDEX <table>_<columns>_idx ON table (columns)`.
pub(crate) fn index<T: IntoIden + Copy>(table: T, columns: &[T]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    let mut index_name = name(table);
    for &column in columns {
        index_name.push('_');
        index_name.push_str(&name(column));
        stmt.col(column);
    }
    index_name.push_str("_idx");
    stmt.name(index_name).table(table).take()
}

/// `CREATE UNIQUE INDEX <table>_nk ON table (columns)`: the natural key of the table.
pub(crate) fn natural_key<T: IntoIden + Copy>(table: T, columns: &[T]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    for &column in columns {
        stmt.col(column);
    }
    stmt.name(format!("{}_nk", name(table)))
        .table(table)
        .unique()
        .take()
}
