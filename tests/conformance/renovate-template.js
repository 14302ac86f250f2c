// Renders a template with Renovate's own `compile` (lib/util/template, filtered mode, as
// the post-upgrade executor renders commands and dataFileTemplate), for img-mirror's
// tests of its presets. Usage: node renovate-template.js RENOVATE_PREFIX TEMPLATE INPUT.json
// Prints the rendered text.
'use strict';
const fs = require('fs');
const { load } = require('./renovate-modules.js');

async function main() {
  const [prefix, template, inputPath] = process.argv.slice(2);
  const { compile } = await load(prefix, 'util/template');
  const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'));
  process.stdout.write(compile(template, input));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
