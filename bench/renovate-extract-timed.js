// Times Renovate's own regex-manager extraction of one file, for bench/check_extract.py.
// Usage: node renovate-extract-timed.js RENOVATE_PREFIX CONFIG_JSON VARS_FILE
'use strict';
const started = process.hrtime.bigint();
const path = require('path');
const fs = require('fs');
const dist = path.join(process.argv[2], 'node_modules/renovate/dist');
const { regexEngineStatus } = require(path.join(dist, 'util/regex'));
const regexManager = require(path.join(dist, 'modules/manager/custom/regex'));
const loaded = process.hrtime.bigint();
const manager = JSON.parse(fs.readFileSync(process.argv[3], 'utf8')).customManagers[0];
const content = fs.readFileSync(process.argv[4], 'utf8');
const result = regexManager.extractPackageFile(content, 'vars.yml', manager);
const done = process.hrtime.bigint();
process.stdout.write(JSON.stringify({
  engine: regexEngineStatus.type,
  deps: result ? result.deps.length : 0,
  load_ms: Number(loaded - started) / 1e6,
  extract_ms: Number(done - loaded) / 1e6,
}) + '\n');
