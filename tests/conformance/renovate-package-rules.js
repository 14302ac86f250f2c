// Applies package rules with Renovate's own applyPackageRules, after its own config
// migration and massaging, for img-mirror's package-rules differential test.
// Usage: node renovate-package-rules.js RENOVATE_PREFIX CASES.json RESULTS.json
// Each case: {dep, config}. For each, writes the `enabled` Renovate leaves before
// lookup (no update type) and for each of digest, major, minor, patch: true or false.
'use strict';
const fs = require('fs');
const { load } = require('./renovate-modules.js');

async function main() {
  const [prefix, casesPath, resultsPath] = process.argv.slice(2);
  const { applyPackageRules } = await load(prefix, 'util/package-rules');
  const { migrateConfig } = await load(prefix, 'config/migration');
  const { massageConfig } = await load(prefix, 'config/massage');
  const { regexEngineStatus } = await load(prefix, 'util/regex');
  if (regexEngineStatus?.type !== 'available') {
    console.error('Renovate is not using RE2');
    process.exit(3);
  }
  const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
  const results = [];
  for (const { dep, config } of cases) {
    const migrated = massageConfig(migrateConfig(config).migratedConfig);
    const outcome = [];
    for (const updateType of [undefined, 'digest', 'major', 'minor', 'patch']) {
      const input = { ...dep, manager: 'regex', packageRules: migrated.packageRules ?? [] };
      if (updateType) input.updateType = updateType;
      const applied = await applyPackageRules(input, 'test');
      outcome.push(applied.enabled === false);
    }
    results.push(outcome);
  }
  fs.writeFileSync(resultsPath, JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
