// Runs Renovate's own regex-manager extraction over scenarios, for img-mirror's
// conformance test. Usage: node renovate-extract.js RENOVATE_PREFIX < scenarios.json
// Each scenario: {name, configPath, configText, packageFile, content}.
// Prints {name: {"regex": [{packageFile, deps}]} | {"error": "config"}}.
'use strict';
const path = require('path');
const fs = require('fs');

const prefix = process.argv[2];
const dist = path.join(prefix, 'node_modules/renovate/dist');
const { regEx, regexEngineStatus } = require(path.join(dist, 'util/regex'));
const { matchRegexOrGlob } = require(path.join(dist, 'util/string-match'));
const regexManager = require(path.join(dist, 'modules/manager/custom/regex'));
const JSON5 = require(path.join(prefix, 'node_modules/json5'));

if (regexEngineStatus.type !== 'available') {
  console.error(`Renovate is not using RE2 (${JSON.stringify(regexEngineStatus)}); results would be JavaScript's`);
  process.exit(3);
}

function selects(manager, packageFile) {
  const fileMatch = manager.fileMatch ?? [];
  const patterns = manager.managerFilePatterns ?? [];
  return fileMatch.some((p) => regEx(p).test(packageFile))
    || patterns.some((p) => matchRegexOrGlob(packageFile, p));
}

function extract(scenario) {
  let config;
  try {
    config = scenario.configPath.endsWith('.json5')
      ? JSON5.parse(scenario.configText)
      : JSON.parse(scenario.configText);
  } catch {
    return { error: 'config' };
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return { error: 'config' };
  }
  const managers = [
    ...(config.customManagers ?? []),
    ...(config.regexManagers ?? []).map((m) => ({ customType: 'regex', ...m })),
  ];
  const regex = [];
  for (const manager of managers) {
    if (manager?.customType !== 'regex') continue;
    let result;
    try {
      if (!selects(manager, scenario.packageFile)) continue;
      result = regexManager.extractPackageFile(scenario.content, scenario.packageFile, manager);
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

const scenarios = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = {};
for (const scenario of scenarios) out[scenario.name] = extract(scenario);
fs.writeFileSync(process.argv[3], JSON.stringify(out));
