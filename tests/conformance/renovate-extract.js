// Runs Renovate's own config migration and regex-manager extraction over scenarios, for
// img-mirror's conformance test; works with Renovate 39 (CommonJS) and 44 (ES modules).
// Usage: node renovate-extract.js RENOVATE_PREFIX SCENARIOS.json RESULTS.json
// Each scenario: {name, configPath, configText, packageFile, contentBase64, files}. The
// config is parsed as this Renovate parses a repository's config file (config/parse), and
// the package file decoded as its extract worker reads it (UTF-8, invalid bytes replaced).
// `files` ([{packageFile, contentBase64}], every file of the scenario's repository) are
// also extracted as a whole repository: each manager's files chosen by Renovate's own
// getMatchingFiles (includePaths, ignorePaths, then its file patterns).
// Writes {name: {"regex": [{packageFile, deps}], "repository": {"regex": [...]}} |
// {"error": "config"}}.
'use strict';
const path = require('path');
const fs = require('fs');

const { load: loadFrom } = require('./renovate-modules.js');

const prefix = process.argv[2];
const load = (module) => loadFrom(prefix, module);

async function main() {
  const { regexEngineStatus } = await load('util/regex');
  const { migrateConfig } = await load('config/migration');
  const { massageConfig } = await load('config/massage');
  const { parseFileConfig } = await load('config/parse');
  const { resolveConfigPresets } = await load('config/presets');
  const regexManager = await load('modules/manager/custom/regex');
  const { getMatchingFiles } = await load('workers/repository/extract/file-match');

  if (regexEngineStatus?.type !== 'available') {
    console.error(`Renovate is not using RE2 (${JSON.stringify(regexEngineStatus)}); results would be JavaScript's`);
    process.exit(3);
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
    async function extractOne(manager, packageFile, contentBase64) {
      let result;
      try {
        const content = Buffer.from(contentBase64, 'base64').toString('utf8');
        result = await regexManager.extractPackageFile(content, packageFile, manager);
      } catch {
        return null; // a pattern RE2 refuses: Renovate rejects the manager
      }
      if (!result?.deps?.length) return null;
      // massageDepNames, as Renovate's extract worker does right after extraction.
      for (const dep of result.deps) {
        if (dep.packageName && !dep.depName) dep.depName = dep.packageName;
      }
      return { packageFile, deps: result.deps };
    }
    const managers = (migratedConfig.customManagers ?? []).filter((m) => m?.customType === 'regex');
    const regex = [];
    for (const manager of managers) {
      let selected;
      try {
        // Renovate's own file matching (39 reads fileMatch alone, 40.2 and later
        // managerFilePatterns), on the one file.
        selected = getMatchingFiles(
          { fileMatch: [], managerFilePatterns: [], ...manager },
          [scenario.packageFile],
        ).length > 0;
      } catch {
        continue;
      }
      if (!selected) continue;
      const one = await extractOne(manager, scenario.packageFile, scenario.contentBase64);
      if (one) regex.push(one);
    }
    // The whole repository, as Renovate's extract worker walks it: per manager, the
    // files its patterns match after includePaths and ignorePaths (Renovate's default
    // ignorePaths when the config sets none), in order.
    const repository = [];
    const contents = new Map((scenario.files ?? []).map((f) => [f.packageFile, f.contentBase64]));
    const ignorePaths = migratedConfig.ignorePaths ?? ['**/node_modules/**', '**/bower_components/**'];
    for (const manager of managers) {
      let matched;
      try {
        matched = getMatchingFiles(
          { fileMatch: [], managerFilePatterns: [], ...manager, ignorePaths, includePaths: migratedConfig.includePaths },
          [...contents.keys()],
        );
      } catch {
        continue;
      }
      for (const packageFile of matched) {
        const one = await extractOne(manager, packageFile, contents.get(packageFile));
        if (one) repository.push(one);
      }
    }
    return { regex, repository: { regex: repository } };
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
