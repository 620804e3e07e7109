// Validates an AsyncAPI document with the AsyncAPI project's own parser
// (@asyncapi/parser: schema, references, and its ruleset). Prints each diagnostic;
// exits 1 when one is an error, 0 otherwise.
//
//   NODE_PATH=<dir>/node_modules node deploy/asyncapi/validate.cjs schemas/asyncapi.yaml
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Parser, fromFile } = require("@asyncapi/parser");

const SEVERITY = ["error", "warning", "information", "hint"];

async function main(file) {
  const parser = new Parser();
  const { document, diagnostics } = await fromFile(parser, path.resolve(file)).parse();
  let errors = 0;
  for (const d of diagnostics) {
    const severity = SEVERITY[d.severity] ?? String(d.severity);
    if (d.severity === 0) errors += 1;
    console.log(`${severity} ${d.code} at ${(d.path || []).join(".") || "-"}: ${d.message}`);
  }
  if (document === undefined || errors > 0) {
    console.log(`${file}: invalid (${errors} errors)`);
    return 1;
  }
  console.log(`${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.operations().length} operations, ${document.messages().length} messages`);
  return 0;
}

if (process.argv.length !== 3 || !fs.existsSync(process.argv[2])) {
  console.error("usage: node validate.cjs FILE");
  process.exit(2);
}
main(process.argv[2]).then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
