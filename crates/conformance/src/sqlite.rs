//! A real SQLite for the emitters' differential tests: Python 3's standard-library `sqlite3`
//! (python3 is on every machine the suite runs on; no package to install), driven over a
//! pipe. A table of text columns is loaded, each query is run, and the row numbers each
//! returns come back.

use std::io::Write;
use std::process::{Command, Stdio};

/// A table: column names and rows of optional text (`None` is SQL NULL).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// The driver: loads the first `shared` rows (a hidden first column `__row` numbers the
/// rows), then for each query adds the rows only it is to see, runs it and prints the `__row`
/// of every returned row, or the error.
const DRIVER: &str = r#"
import json, sqlite3, sys
spec = json.load(sys.stdin)
db = sqlite3.connect(":memory:")
q = lambda n: '"' + n.replace('"', '""') + '"'
marks = ", ".join("?" * (len(spec["columns"]) + 1))
rows = spec["rows"]
table = q(spec["name"])
db.execute("CREATE TABLE %s (__row INTEGER, %s)" % (table, ", ".join(q(c) + " TEXT" for c in spec["columns"])))
insert = "INSERT INTO %s VALUES (%s)" % (table, marks)
shared = spec["shared"]
db.executemany(insert, ([i] + rows[i] for i in range(shared)))
out = []
for query, include in zip(spec["queries"], spec["include"]):
    db.execute("DELETE FROM %s WHERE __row >= ?" % table, (shared,))
    db.executemany(insert, ([i] + rows[i] for i in include))
    try:
        out.append({"rows": sorted(r[0] for r in db.execute(query))})
    except Exception as e:
        out.append({"error": str(e)})
json.dump({"version": sqlite3.sqlite_version, "results": out}, sys.stdout)
"#;

/// What SQLite said: its version and, per query, the rows returned or the error.
pub struct Answers {
    pub version: String,
    pub results: Vec<Result<Vec<usize>, String>>,
}

/// Runs each query over the first `shared` rows of `table` and the rows its `include` list
/// names, in SQLite.
pub fn run(table: &Table, shared: usize, queries: &[(String, Vec<usize>)]) -> Answers {
    let (queries, include): (Vec<&String>, Vec<&Vec<usize>>) = queries.iter().map(|(q, i)| (q, i)).unzip();
    let spec =
        serde_json::json!({ "name": table.name, "columns": table.columns, "rows": table.rows, "queries": queries, "include": include, "shared": shared });
    let mut child = Command::new("python3")
        .args(["-c", DRIVER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the SQL differential test needs Python 3's sqlite3)");
    let input = serde_json::to_vec(&spec).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "sqlite driver failed: {}", String::from_utf8_lossy(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r.get("rows") {
            Some(rows) => Ok(rows.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()),
            None => Err(r["error"].as_str().unwrap_or("?").to_string()),
        })
        .collect();
    Answers { version: answer["version"].as_str().unwrap_or("?").to_string(), results }
}
