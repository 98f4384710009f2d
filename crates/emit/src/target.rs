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
    /// Elasticsearch ES|QL: `FROM logs-* | WHERE …`.
    Esql,
    /// A Lucene query string (Kibana, Elasticsearch `query_string`).
    Lucene,
    /// Kusto (Sentinel, Defender XDR): `DeviceProcessEvents | where …`.
    Kql,
    /// Splunk SPL: `index=* | where …`.
    Spl,
    /// Sumo Logic CSE: `_index=sec_record_process | where …`.
    Sumo,
    /// Sigma: the whole rule as written (modifiers, not their expansions), fields and log
    /// source as the pipeline maps them.
    Sigma,
}

impl Target {
    /// Every target, in the order `--help` lists them.
    pub const ALL: &'static [Target] =
        &[Target::Sql, Target::Duckdb, Target::Spark, Target::Eql, Target::Esql, Target::Lucene, Target::Kql, Target::Spl, Target::Sumo, Target::Sigma];

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
            Target::Esql => "Elasticsearch ES|QL: FROM logs-* | WHERE … over ECS names",
            Target::Lucene => "Kibana / Elasticsearch query string (Lucene) over ECS keyword fields",
            Target::Kql => "Kusto (Sentinel, Defender XDR): DeviceProcessEvents | where …, table from the log source",
            Target::Spl => "Splunk SPL: index=… | where … over Sysmon/Windows field names (CIM with splunk-cim)",
            Target::Sumo => "Sumo Logic CSE: _index=sec_record_… | where … over normalized record fields",
            Target::Sigma => "Sigma: the whole rule as written, modifiers kept, fields and log source as the pipeline maps them",
        }
    }

    /// The pipeline `vigil convert` applies when `--pipeline` is not given.
    pub fn default_pipeline(self) -> &'static str {
        match self {
            Target::Sql | Target::Duckdb | Target::Spark | Target::Eql | Target::Sigma => "none",
            Target::Esql | Target::Lucene => "ecs-windows",
            Target::Kql => "microsoft-xdr",
            Target::Spl => "splunk-sysmon",
            Target::Sumo => "sumo-cse",
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
            Target::Esql => &crate::esql::Esql,
            Target::Lucene => &crate::lucene::Lucene,
            Target::Kql => &crate::kql::Kql,
            Target::Spl => &crate::spl::Spl,
            Target::Sumo => &crate::sumo::Sumo,
            Target::Sigma => &crate::sigma::SigmaDialect,
        }
    }
}
