#!/usr/bin/env node
// Entry of the `moeplan` command: the bundled CLI built by esbuild.mjs.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('moeplan: dist/cli.js is missing; run `npm install` (or `npm run build`) in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(cli)
  .main(process.argv.slice(2))
  .then(
    // exitCode, not exit(): exit() would cut off output still draining into a pipe.
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write('moeplan: internal error: ' + (err && err.stack ? err.stack : String(err)) + '\n');
      process.exit(3);
    },
  );
