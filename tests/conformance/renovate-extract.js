// Runs Renovate's own config migration and regex-manager extraction over scenarios, for
// img-mirror's conformance test; works with Renovate 39 (CommonJS) and 44 (ES modules).
// Usage: node renovate-extract.js RENOVATE_PREFIX SCENARIOS.json RESULTS.json
// Each scenario: {name, configPath, configText, packageFile, contentBase64}. The config is
// parsed as this Renovate parses a repository's config file (config/parse), and the
// package file decoded as its extract worker reads it (UTF-8, invalid bytes replaced).
// Writes {name: {"regex": [{packageFile, deps}]} | {"error": "config"}}.
'use strict';
const path = require('path');
const fs = require('fs');

const { load: loadFrom } = require('./renovate-modules.js');

const prefix = process.argv[2];
const load = (module) => loadFrom(prefix, module);

async function main() {
  const { regEx, regexEngineStatus } = await load('util/regex');
  const { matchRegexOrGlob } = await load('util/string-match');
  const { migrateConfig } = await load('config/migration');
  const { massageConfig } = await load('config/massage');
  const { parseFileConfig } = await load('config/parse');
  const { resolveConfigPresets } = await load('config/presets');
  const regexManager = await load('modules/manager/custom/regex');

  if (regexEngineStatus?.type !== 'available') {
    console.error(`Renovate is not using RE2 (${JSON.stringify(regexEngineStatus)}); results would be JavaScript's`);
    process.exit(3);
  }

  function selects(manager, packageFile) {
    const fileMatch = manager.fileMatch ?? [];
    const patterns = manager.managerFilePatterns ?? [];
    return fileMatch.some((p) => regEx(p).test(packageFile))
      || patterns.some((p) => matchRegexOrGlob(packageFile, p));
  }

  async function extract(scenario) {
    let config;
    if (path.basename(scenario.configPath) === 'package.json') {
      try {
        config = JSON.parse(scenario.configText).renovate;
        if (typeof config === 'string') config = { extends: [config] };
      } catch {
        return { error: 'config' };
      }
    } else {
      const parsed = parseFileConfig(path.basename(scenario.configPath), scenario.configText);
      if (!parsed.success) return { error: 'config' };
      config = parsed.parsedContents;
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      return { error: 'config' };
    }
    // What this Renovate does to a config first: regexManagers -> customManagers, a
    // missing customType, and (40.2 and later) fileMatch -> managerFilePatterns; then
    // massageConfig (a string where a list belongs).
    // Then its presets (built-in ones: resolved offline), merged as Renovate merges them.
    let migratedConfig = massageConfig(migrateConfig(config).migratedConfig);
    try {
      const resolved = await resolveConfigPresets(migratedConfig);
      migratedConfig = resolved.visitedPresets ? resolved.config : resolved;
    } catch (error) {
      return { error: `presets: ${error.validationError ?? error.message}` };
    }
    const regex = [];
    for (const manager of migratedConfig.customManagers ?? []) {
      if (manager?.customType !== 'regex') continue;
      let result;
      try {
        if (!selects(manager, scenario.packageFile)) continue;
        const content = Buffer.from(scenario.contentBase64, 'base64').toString('utf8');
        result = await regexManager.extractPackageFile(content, scenario.packageFile, manager);
      } catch {
        continue; // a pattern RE2 refuses: Renovate rejects the manager
      }
      if (!result?.deps?.length) continue;
      // massageDepNames, as Renovate's extract worker does right after extraction.
      for (const dep of result.deps) {
        if (dep.packageName && !dep.depName) dep.depName = dep.packageName;
      }
      regex.push({ packageFile: scenario.packageFile, deps: result.deps });
    }
    return { regex };
  }

  const scenarios = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const out = {};
  for (const scenario of scenarios) out[scenario.name] = await extract(scenario);
  fs.writeFileSync(process.argv[4], JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
