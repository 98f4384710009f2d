// Parses every query of `vigil convert --format ndjson` (stdin) with Microsoft's Kusto
// language service (npm @kusto/language-service-next, the Kusto.Language parser Azure Data
// Explorer and Sentinel use) and reports the syntax errors it finds. Prints
// "kql: N parsed, M failed (R refused)" and exits 1 on any failure.
"use strict";
const path = require("path");
const dir = process.env.KUSTO_DIR || path.join(__dirname, "..", "target", "emitcheck", "node_modules", "@kusto", "language-service-next");
require(path.join(dir, "bridge.js"));
require(path.join(dir, "Kusto.Language.Bridge.js"));
const K = global.Kusto.Language;

const input = require("fs").readFileSync(0, "utf8");
let parsed = 0, refused = 0;
const failed = [];
for (const line of input.split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    if (row.query === undefined) { refused++; continue; }
    const code = K.KustoCode.Parse(row.query);
    const diags = code.GetDiagnostics();
    const errors = [];
    for (let i = 0; i < diags.Count; i++) {
        const d = diags.getItem(i);
        if (d.Severity === "Error") errors.push(`${d.Code} at ${d.Start}: ${d.Message}`);
    }
    if (errors.length) failed.push(`${row.rule.id} ${row.rule.name}: ${errors.join("; ")}\n  ${row.query}`);
    else parsed++;
}
for (const f of failed.slice(0, 20)) console.log(f);
console.log(`kql: ${parsed} parsed, ${failed.length} failed (${refused} refused)`);
process.exit(failed.length ? 1 : 0);
