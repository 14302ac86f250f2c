// Renders many templates with Renovate's own `compile` (lib/util/template), as the
// regex manager renders its templates (filterFields false), for img-mirror's template
// differential test. Works with Renovate 39 (CommonJS) and 44 (ES modules).
// Usage: node renovate-template-batch.js RENOVATE_PREFIX CASES.json RESULTS.json
// Each case: {template, context}. Writes one {ok: text} or {error: message} per case.
// Results go to a file: the `log` helper writes to the console.
'use strict';
const fs = require('fs');
const { load } = require('./renovate-modules.js');

async function main() {
  const [prefix, casesPath, resultsPath] = process.argv.slice(2);
  const { compile } = await load(prefix, 'util/template');
  const { regexEngineStatus } = await load(prefix, 'util/regex');
  if (regexEngineStatus?.type !== 'available') {
    console.error(`Renovate is not using RE2 (${JSON.stringify(regexEngineStatus)}); the replace helper would be JavaScript's`);
    process.exit(3);
  }
  const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
  const results = cases.map(({ template, context }) => {
    try {
      return { ok: compile(template, context, false) };
    } catch (error) {
      return { error: String(error?.message ?? error) };
    }
  });
  fs.writeFileSync(resultsPath, JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
