//! The registry of targets: one line per target, naming its dialect.

use crate::dialect::Dialect;

/// A query language vigil can print rules in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// SQLite: `SELECT * FROM "events" WHERE …` over a table with one column per field.
    Sql,
    /// DuckDB: the same statement as `sql`, in DuckDB's spelling (`ILIKE`, `regexp_matches`).
    Duckdb,
    /// Spark SQL: ``SELECT * FROM `events` WHERE …`` (`lower()`, `LIKE`, `RLIKE`).
    Spark,
    /// Elastic EQL: `any where …` over the pipeline's field names.
    Eql,
}

impl Target {
    /// Every target, in the order `--help` lists them.
    pub const ALL: &'static [Target] = &[Target::Sql, Target::Duckdb, Target::Spark, Target::Eql];

    /// The target's name, as `--target` spells it.
    pub fn name(self) -> &'static str {
        self.dialect().name()
    }

    /// One line on what the target prints (for `vigil list targets`).
    pub fn description(self) -> &'static str {
        match self {
            Target::Sql => "SQLite: SELECT * FROM \"events\" WHERE … over one column per field",
            Target::Duckdb => "DuckDB: SELECT * FROM \"events\" WHERE … over one column per field",
            Target::Spark => "Spark SQL: SELECT * FROM `events` WHERE … over one column per field",
            Target::Eql => "Elastic EQL: any where … over the pipeline's field names (ECS with ecs-windows)",
        }
    }

    /// The target named `name`.
    pub fn parse(name: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The target's capability table.
    pub fn dialect(self) -> &'static dyn Dialect {
        match self {
            Target::Sql => &crate::sql::SQLITE,
            Target::Duckdb => &crate::sql::DUCKDB,
            Target::Spark => &crate::spark::Spark,
            Target::Eql => &crate::eql::Eql,
        }
    }
}
