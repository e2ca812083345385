#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const cli = path.join(__dirname, '..', 'dist', 'src', 'host', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('aos: the project is not built yet; run `npm run build` first.\n');
  process.exit(1);
}
require(cli).run(process.argv.slice(2));
