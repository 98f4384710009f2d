//! Real SQL engines for the emitters' differential tests, driven over a pipe from Python:
//! SQLite through the standard library's `sqlite3` (python3 is on every machine the suite
//! runs on), DuckDB through the `duckdb` package from PyPI (`scripts/test.sh` installs it in
//! a virtual environment under `target/` and names its interpreter in `$VIGIL_PYTHON`).
//! A table of text columns is loaded, each query is run, and the row numbers it returns
//! come back. A missing engine is a test failure, never a skipped test.
//!
//! SQLite has no built-in `REGEXP`; the driver registers the function the common `regexp`
//! extensions provide, over Python's `re`, reading the emitted PCRE-syntax pattern: the
//! emitter prints only `\A`, `\z`, `\x{H}`, escaped punctuation, classes, groups and
//! repetitions, so the only spellings to change for Python are `\z` (`\Z`) and `\x{H}`
//! (`\UHHHHHHHH`), done token by token.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// A SQL engine the suites run emitted queries in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Duckdb,
    /// Local Spark SQL (pyspark from PyPI, Java): too slow for every run, so only
    /// `scripts/spark_check.sh` runs it.
    Spark,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Duckdb => "DuckDB",
            Engine::Spark => "Spark",
        }
    }
}

/// A table: column names and rows of optional text (`None` is SQL NULL).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// The SQLite connection both drivers use: in memory, with a `REGEXP` over Python's `re`
/// (the Rust regex syntax the emitters print, `\z` and `\x{…}` respelled for `re`).
pub const SQLITE_PRELUDE: &str = r#"
def sqlite_connect():
    import functools, re, sqlite3
    def python_regex(p):
        def token(m):
            t = m.group(1)
            if t == "z":
                return r"\Z"
            if t.startswith("x{"):
                return "\\U%08x" % int(t[2:-1], 16)
            return "\\" + t
        return re.sub(r"\\(x\{[0-9A-F]+\}|.)", token, p, flags=re.S)
    @functools.lru_cache(maxsize=None)
    def compiled(p):
        return re.compile(python_regex(p))
    def regexp(p, v):
        return None if v is None or p is None else compiled(p).search(v) is not None
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, regexp, deterministic=True)
    return db, sqlite3.sqlite_version
"#;

/// The driver (after [`SQLITE_PRELUDE`]). SQLite: loads the first `shared` rows (a hidden first column `__row` numbers
/// the rows), then for each query adds the rows only it is to see, runs it and prints the
/// `__row` of every returned row, or the error. DuckDB: loads every row once (from a JSON
/// lines file, since row-by-row inserts are slow there) and runs each query as a
/// sub-select kept to the rows it is to see.
const DRIVER: &str = r#"
import json, sys
spec = json.load(sys.stdin)
q = lambda n: '"' + n.replace('"', '""') + '"'
rows = spec["rows"]
cols = spec["columns"]
table = q(spec["name"])
shared = spec["shared"]
out = []
if spec["engine"] == "sqlite":
    db, version = sqlite_connect()
    marks = ", ".join("?" * (len(cols) + 1))
    db.execute("CREATE TABLE %s (__row INTEGER, %s)" % (table, ", ".join(q(c) + " TEXT" for c in cols)))
    insert = "INSERT INTO %s VALUES (%s)" % (table, marks)
    dense = lambda i: [i] + [rows[i].get(c) for c in cols]
    db.executemany(insert, (dense(i) for i in range(shared)))
    for name, values in spec["lists"].items():
        db.execute("CREATE TABLE %s (value TEXT)" % q(name))
        db.executemany("INSERT INTO %s VALUES (?)" % q(name), ([v] for v in values))
    for query, include in zip(spec["queries"], spec["include"]):
        db.execute("DELETE FROM %s WHERE __row >= ?" % table, (shared,))
        db.executemany(insert, (dense(i) for i in include))
        try:
            out.append({"rows": sorted(r[0] for r in db.execute(query))})
        except Exception as e:
            out.append({"error": str(e)})
elif spec["engine"] == "spark":
    import os, tempfile
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType, StructField, StringType, LongType
    # Thousands of generated conditions in one projection: Java code generation for them
    # would exceed the JVM's 64 KB method limit and fall back anyway after a failed compile,
    # so expressions are interpreted from the start.
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2") \
        .config("spark.sql.codegen.wholeStage", "false").config("spark.sql.codegen.factoryMode", "NO_CODEGEN") \
        .config("spark.sql.inMemoryColumnarStorage.batchSize", "2000").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    version = spark.version
    fd, path = tempfile.mkstemp(suffix=".ndjson")
    with os.fdopen(fd, "w") as f:
        for i, row in enumerate(rows):
            f.write(json.dumps(dict(row, __row=i)) + "\n")
    schema = StructType([StructField("__row", LongType())] + [StructField(c, StringType()) for c in cols])
    # Cached in blocks of 2,000 rows kept in row order (ranges of `__row` per core), so a
    # scan restricted to a few row spans reads a few blocks.
    spark.read.schema(schema).json(path).repartitionByRange(2, "__row").sortWithinPartitions("__row").cache().createOrReplaceTempView(spec["name"])
    spark_lit = lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\u0024{") + "'"
    for name, values in spec["lists"].items():
        spark.sql("CREATE OR REPLACE TEMPORARY VIEW `%s` AS SELECT CAST(value AS STRING) AS value FROM VALUES %s AS t(value)"
                  % (name.replace("`", "``"), ", ".join("(%s)" % spark_lit(v) for v in values)))
    def visible(include):
        own = " OR ".join("__row = %d" % i for i in include) if len(include) < 2 or include[-1] - include[0] + 1 != len(include) \
            else "__row BETWEEN %d AND %d" % (include[0], include[-1])
        return "__row < %d" % shared + (" OR " + own if own else "")
    def wrapped(k, query, include):
        return "SELECT %d AS __q, __row FROM (%s) AS __s WHERE %s" % (k, query, visible(include))
    pairs = list(zip(spec["queries"], spec["include"]))
    out = [None] * len(pairs)
    # Every statement is `SELECT * FROM <table> WHERE <condition>`: a batch of them runs as
    # one scan of the cached table, each condition (verbatim) an `IF((<rows it sees>) AND
    # (<condition>), 'k', NULL)` term of one concat_ws column (a NULL condition drops the
    # row as WHERE does; the row test first, so AND skips the condition on other rows). A batch that fails runs query by
    # query, as whole statements, to name the one that fails.
    spark_table = "`%s`" % spec["name"].replace("`", "``")
    prefix = "SELECT * FROM %s WHERE " % spark_table
    seen = [set(inc) for inc in spec["include"]]
    batch = int(os.environ.get("VIGIL_SPARK_BATCH", "100"))
    import time
    timing = {"plan": 0.0, "run": 0.0}
    for start in range(0, len(pairs), batch):
        part = list(range(start, min(start + batch, len(pairs))))
        conds = [k for k in part if pairs[k][0].startswith(prefix)]
        for k in part:
            out[k] = {"rows": []}
        try:
            if conds:
                terms = ", ".join("IF((%s) AND (%s), '%d', NULL)" % (visible(pairs[k][1]), pairs[k][0][len(prefix):], k) for k in conds)
                # Only the rows some condition of the batch sees: the shared ones and the
                # span of the batch's own (generated in rule order, so one short span). The
                # cached table keeps each column's bounds per block, so the other blocks are
                # skipped instead of every condition testing every row.
                own = [i for k in conds for i in pairs[k][1]]
                rows_seen = "__row < %d" % shared + (" OR __row BETWEEN %d AND %d" % (min(own), max(own)) if own else "")
                scan = "SELECT __row, concat_ws(',', %s) AS __m FROM (SELECT * FROM %s WHERE %s)" % (terms, spark_table, rows_seen)
                t0 = time.time()
                frame = spark.sql("SELECT * FROM (%s) WHERE __m <> ''" % scan)
                t1 = time.time()
                found = frame.collect()
                timing["plan"] += t1 - t0
                timing["run"] += time.time() - t1
                for r in found:
                    for k in map(int, r[1].split(",")):
                        if r[0] < shared or r[0] in seen[k]:
                            out[k]["rows"].append(r[0])
            rest = [k for k in part if k not in conds]
            if rest:
                for r in spark.sql(" UNION ALL ".join(wrapped(k, *pairs[k]) for k in rest)).collect():
                    out[r[0]]["rows"].append(r[1])
        except Exception:
            for k in part:
                try:
                    out[k] = {"rows": [r[1] for r in spark.sql(wrapped(k, *pairs[k])).collect()]}
                except Exception as e:
                    out[k] = {"error": str(e).splitlines()[0] if str(e) else repr(e)}
        for k in part:
            if "rows" in out[k]:
                out[k]["rows"].sort()
        print("spark: %d of %d queries (parsing and analysing %.1f s, optimising and running %.1f s)" % (part[-1] + 1, len(pairs), timing["plan"], timing["run"]), file=sys.stderr, flush=True)
    os.unlink(path)
else:
    import os, tempfile, duckdb
    version = duckdb.__version__
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    fd, path = tempfile.mkstemp(suffix=".ndjson")
    try:
        with os.fdopen(fd, "w") as f:
            for i, row in enumerate(rows):
                f.write(json.dumps(dict(row, __row=i)) + "\n")
        lit = lambda s: "'" + s.replace("'", "''") + "'"
        types = ", ".join("%s: 'VARCHAR'" % lit(c) for c in cols)
        db.execute("CREATE TABLE %s AS SELECT * FROM read_json(%s, format = 'newline_delimited', columns = {'__row': 'BIGINT'%s})"
                   % (table, lit(path), ", " + types if cols else ""))
    finally:
        os.unlink(path)
    for name, values in spec["lists"].items():
        db.execute("CREATE TABLE %s (value VARCHAR)" % q(name))
        db.executemany("INSERT INTO %s VALUES (?)" % q(name), [[v] for v in values])
    for query, include in zip(spec["queries"], spec["include"]):
        own = " OR ".join("__row = %d" % i for i in include) if len(include) < 2 or include[-1] - include[0] + 1 != len(include) \
            else "__row BETWEEN %d AND %d" % (include[0], include[-1])
        where = "__row < %d" % shared + (" OR " + own if own else "")
        try:
            out.append({"rows": sorted(r[0] for r in db.execute("SELECT __row FROM (%s) AS __q WHERE %s" % (query, where)).fetchall())})
        except Exception as e:
            out.append({"error": str(e)})
sys.stdout.write("\n" + json.dumps({"version": version, "results": out}) + "\n")
"#;

/// What the engine said: its version and, per query, the rows returned or the error.
pub struct Answers {
    pub version: String,
    pub results: Vec<Result<Vec<usize>, String>>,
}

/// The Python interpreter: `$VIGIL_PYTHON` (set by `scripts/test.sh`), else `python3`.
pub fn python() -> String {
    std::env::var("VIGIL_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs each query over the first `shared` rows of `table` and the rows its `include` list
/// names, in `engine`. Panics (fails the test) when the engine cannot be run.
pub fn run(engine: Engine, table: &Table, shared: usize, queries: &[(String, Vec<usize>)]) -> Answers {
    run_with_lists(engine, table, &BTreeMap::new(), shared, queries)
}

/// [`run`] with value lists: each is a table of its name with one text column `value`, one
/// row per value (what the SQL targets print a `%name%` placeholder as).
pub fn run_with_lists(engine: Engine, table: &Table, lists: &BTreeMap<String, Vec<String>>, shared: usize, queries: &[(String, Vec<usize>)]) -> Answers {
    let (queries, include): (Vec<&String>, Vec<&Vec<usize>>) = queries.iter().map(|(q, i)| (q, i)).unzip();
    let kind = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Duckdb => "duckdb",
        Engine::Spark => "spark",
    };
    // Rows go over the pipe sparse (the columns that hold a value): a corpus table has
    // thousands of columns and most of each row is NULL.
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = table
        .rows
        .iter()
        .map(|row| table.columns.iter().zip(row).filter_map(|(c, v)| Some((c.clone(), serde_json::Value::from(v.as_deref()?)))).collect())
        .collect();
    let spec = serde_json::json!({ "engine": kind, "name": table.name, "columns": table.columns, "rows": rows, "queries": queries, "include": include, "shared": shared, "lists": lists });
    let answer = run_driver(engine, DRIVER, &spec);
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

/// Runs Python `driver` (after [`SQLITE_PRELUDE`]) under `$VIGIL_PYTHON` with `spec` as JSON
/// on its stdin, and returns its answer: the last non-empty line of its stdout, as JSON (an
/// engine may print progress before it). Panics (fails the test) when Python or the engine
/// cannot be run, or the answer does not parse.
pub fn run_driver(engine: Engine, driver: &str, spec: &serde_json::Value) -> serde_json::Value {
    let python = python();
    let mut child = Command::new(&python)
        .args(["-c", &format!("{SQLITE_PRELUDE}{driver}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if engine == Engine::Spark { Stdio::inherit() } else { Stdio::piped() })
        .spawn()
        .unwrap_or_else(|e| panic!("{python} does not run ({e}); the SQL differential tests need Python 3 (run scripts/test.sh)"));
    let input = serde_json::to_vec(spec).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    let _ = writer.join().unwrap();
    assert!(
        output.status.success(),
        "the {} driver failed under {python} (DuckDB needs the `duckdb` package: run scripts/test.sh, which installs it and sets VIGIL_PYTHON): {}",
        engine.name(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("the {} driver's answer does not parse ({e}): {stdout:.2000}", engine.name()))
}
