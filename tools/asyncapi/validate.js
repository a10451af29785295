// Parse AsyncAPI documents with the AsyncAPI Initiative's parser: `node validate.js <file>...`.
//
// The official JSON Schema (checked in Python by tests/unit/test_event_contract.py) says what each object may
// hold; the parser also resolves every $ref, checks that each operation's messages belong to its channel and
// that each channel's parameters are the ones its address names, and compiles every payload schema, which is
// what a code generator does first. For each file it prints one JSON line, {file, valid, diagnostics}
// (severity 0 = error, 1 = warning, 2 = info, 3 = hint), and it exits 1 when any file is not valid: the
// parser built no document from it or reported an error. Several files share one start of Node.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { Parser } = require("@asyncapi/parser");

async function check(parser, file) {
  const source = path.resolve(file);
  const { document, diagnostics } = await parser.parse(fs.readFileSync(source, "utf8"), { source });
  const found = diagnostics.map(({ code, message, path: where, severity }) => ({ severity, code, message, path: where }));
  return { file, valid: document !== undefined && !found.some((d) => d.severity === 0), diagnostics: found };
}

async function main(files) {
  const parser = new Parser();
  let valid = true;
  for (const file of files) {
    const result = await check(parser, file);
    console.log(JSON.stringify(result));
    valid = valid && result.valid;
  }
  return valid;
}

if (process.argv.length < 3) {
  console.error("usage: node validate.js <asyncapi document>...");
  process.exit(2);
}
main(process.argv.slice(2)).then(
  (valid) => process.exit(valid ? 0 : 1),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
