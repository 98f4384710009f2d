//! Statements that return rows of values rather than event rows (the SQL targets'
//! correlation statements), run in SQLite (Python's `sqlite3`) or DuckDB (the `duckdb`
//! package, `$VIGIL_PYTHON`): a table of text columns is loaded in row order (so `rowid` is
//! the input order), each statement is run, and every returned row comes back as text
//! (NULL as `None`). A missing engine is a test failure, never a skipped test.

use crate::sql_engine::{run_driver, Engine, Table};

const DRIVER: &str = r#"
import json, sys
spec = json.load(sys.stdin)
q = lambda n: '"' + n.replace('"', '""') + '"'
cols = spec["columns"]
table = q(spec["name"])
out = []
if spec["engine"] == "sqlite":
    db, version = sqlite_connect()
else:
    import duckdb
    db = duckdb.connect()
    db.execute("SET threads = 1")
    version = duckdb.__version__
db.execute("CREATE TABLE %s (%s)" % (table, ", ".join(q(c) + " VARCHAR" for c in cols)))
if spec["rows"]:
    db.executemany("INSERT INTO %s VALUES (%s)" % (table, ", ".join("?" * len(cols))), spec["rows"])
for query in spec["queries"]:
    try:
        rows = db.execute(query).fetchall()
        out.append({"rows": [[None if v is None else str(v) for v in r] for r in rows]})
    except Exception as e:
        out.append({"error": str(e)})
sys.stdout.write("\n" + json.dumps({"version": version, "results": out}) + "\n")
"#;

/// What the engine said: its version and, per statement, its rows (as text) or the error.
pub struct Rows {
    pub version: String,
    pub results: Vec<Result<Vec<Vec<Option<String>>>, String>>,
}

/// Runs each statement over `table` in `engine` (SQLite or DuckDB). Panics (fails the test)
/// when the engine cannot be run.
pub fn run(engine: Engine, table: &Table, queries: &[String]) -> Rows {
    let kind = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Duckdb => "duckdb",
        Engine::Spark => panic!("sql_rows runs SQLite and DuckDB only"),
    };
    let spec = serde_json::json!({ "engine": kind, "name": table.name, "columns": table.columns, "rows": table.rows, "queries": queries });
    let answer = run_driver(engine, DRIVER, &spec);
    let cell = |v: &serde_json::Value| v.as_str().map(String::from);
    let results = answer["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| match r.get("rows").and_then(|v| v.as_array()) {
            Some(rows) => Ok(rows.iter().map(|row| row.as_array().map(|cells| cells.iter().map(cell).collect()).unwrap_or_default()).collect()),
            None => Err(r["error"].as_str().unwrap_or("?").to_string()),
        })
        .collect();
    Rows { version: answer["version"].as_str().unwrap_or("?").to_string(), results }
}
