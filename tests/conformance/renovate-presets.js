// Prints, as JSON, what img-mirror needs of one Renovate's built-in presets: every
// internal preset's name, the aliases Renovate applies before parsing a name
// (common.removedPresets), and each internal preset's definition as far as img-mirror
// reads it (extends, customManagers, ignorePaths, and what stops updates: enabled,
// enabledManagers, ignoreDeps, the digest/major/minor/patch objects, and the package
// rules that set enabled). crates/renovate-regex/src/presets/builtin-*.json are this output; the
// conformance suite runs it again and compares.
// Usage: node renovate-presets.js RENOVATE_PREFIX
// With a second argument, a JSON list of configs: prints Renovate's own
// resolveConfigPresets of each, as {customManagers, ignorePaths, stops} or {error}.
'use strict';
const { load } = require('./renovate-modules.js');

const UPDATE_TYPES = ['digest', 'major', 'minor', 'patch'];

// The part of a config that decides whether updates happen.
function stopSettings(config) {
  const kept = {};
  for (const key of ['enabled', 'enabledManagers', 'ignoreDeps']) {
    if (config[key] !== undefined) kept[key] = config[key];
  }
  for (const key of UPDATE_TYPES) {
    if (config[key]?.enabled !== undefined) kept[key] = { enabled: config[key].enabled };
  }
  const rules = (config.packageRules ?? []).filter(
    (rule) => rule.enabled !== undefined || UPDATE_TYPES.some((t) => rule[t]?.enabled !== undefined),
  );
  if (rules.length) kept.packageRules = rules;
  return kept;
}

async function main() {
  const [prefix, configsPath] = process.argv.slice(2);
  const internal = await load(prefix, 'config/presets/internal');
  const common = await load(prefix, 'config/presets/common');
  const presets = await load(prefix, 'config/presets');
  const resolve = async (config) => {
    const result = await presets.resolveConfigPresets(config);
    return result.visitedPresets ? result.config : result;
  };
  if (configsPath) {
    const { migrateConfig } = await load(prefix, 'config/migration');
    const { massageConfig } = await load(prefix, 'config/massage');
    const configs = JSON.parse(require('fs').readFileSync(configsPath, 'utf8'));
    const out = [];
    for (const config of configs) {
      try {
        // As mergeRenovateConfig: the repository's config is migrated before presets.
        const resolved = await resolve(massageConfig(migrateConfig(config).migratedConfig));
        out.push({
          customManagers: resolved.customManagers ?? [],
          ignorePaths: resolved.ignorePaths ?? null,
          stops: stopSettings(resolved),
        });
      } catch (error) {
        out.push({ error: String(error?.message ?? error) });
      }
    }
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const names = [];
  for (const [group, members] of Object.entries(internal.groups)) {
    for (const name of Object.keys(members)) names.push(group === 'default' ? `:${name}` : `${group}:${name}`);
  }
  names.sort();
  const definitions = {};
  for (const [group, members] of Object.entries(internal.groups)) {
    for (const [name, preset] of Object.entries(members)) {
      const kept = stopSettings(preset);
      for (const key of ['extends', 'customManagers', 'ignorePaths']) {
        if (preset[key] !== undefined) kept[key] = preset[key];
      }
      if (Object.keys(kept).length) definitions[group === 'default' ? `:${name}` : `${group}:${name}`] = kept;
    }
  }
  const aliases = {};
  for (const [from, to] of Object.entries(common.removedPresets)) aliases[from] = to;
  process.stdout.write(JSON.stringify({ internal: names, aliases, definitions }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
