// Renovate's own life cycle for one repository, as its repository worker runs it, for
// img-mirror's life-cycle test: clone, extract, look up, branchify, auto-replace, and
// run the post-upgrade tasks; no platform (a local origin), no commit, no push.
// Usage: node renovate-lifecycle.js RENOVATE_PREFIX SPEC.json RESULT.json
// SPEC: {origin, localDir, cacheDir, allowedCommands, customEnvVariables, hostRules,
//        packageRules}
// RESULT: {engine, branches: [{branchName, upgrades: [{depName, currentValue,
//          currentDigest, newValue, newDigest}], files: {path: contents},
//          artifactErrors: [stderr]}]}
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { load } = require('./renovate-modules.js');

async function main() {
  const [prefix, specPath, resultPath] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const m = async (name) => load(prefix, name);
  const { regexEngineStatus } = await m('util/regex');
  if (regexEngineStatus?.type !== 'available') {
    console.error(`Renovate is not using RE2 (${JSON.stringify(regexEngineStatus)})`);
    process.exit(3);
  }
  const { GlobalConfig } = await m('config/global');
  const { getConfig } = await m('config/defaults');
  const { setCustomEnv } = await m('util/env');
  const { setPlatformScmApi } = await m('modules/platform/scm');
  const git = await m('util/git');
  const { migrateConfig } = await m('config/migration');
  const { massageConfig } = await m('config/massage');
  const { validateConfig } = await m('config/validation');
  const { mergeChildConfig } = await m('config/utils');
  const hostRules = await m('util/host-rules');
  const { extractAllDependencies } = await m('workers/repository/extract');
  const { fetchUpdates } = await m('workers/repository/process/fetch');
  const { branchifyUpgrades } = await m('workers/repository/updates/branchify');
  const { getUpdatedPackageFiles } = await m('workers/repository/update/branch/get-updated');
  const executePostUpgradeCommands = (await m('workers/repository/update/branch/execute-post-upgrade-commands')).default;

  const global = {
    ...getConfig(),
    localDir: spec.localDir,
    cacheDir: spec.cacheDir,
    allowedCommands: spec.allowedCommands,
    customEnvVariables: spec.customEnvVariables,
    binarySource: 'global',
    platform: 'gitlab',
  };
  GlobalConfig.set(global);
  // Without this, customEnvVariables never reach a command.
  setCustomEnv(spec.customEnvVariables);
  setPlatformScmApi('gitlab');
  for (const rule of spec.hostRules) {
    hostRules.add(rule);
  }
  fs.mkdirSync(spec.localDir, { recursive: true });
  await git.initRepo({ ...global, url: spec.origin, defaultBranch: 'main' });
  await git.syncGit();

  const text = fs.readFileSync(path.join(spec.localDir, 'renovate.json'), 'utf8');
  const migrated = migrateConfig(JSON.parse(text)).migratedConfig;
  const repoConfig = massageConfig(migrated);
  const validation = await validateConfig('repo', repoConfig);
  if (validation.errors.length) {
    throw new Error(`Renovate rejects the repository config: ${JSON.stringify(validation.errors)}`);
  }
  let config = mergeChildConfig(global, repoConfig);
  config = mergeChildConfig(config, { packageRules: spec.packageRules });
  config.baseBranch = 'main';
  config.errors = [];
  config.warnings = [];
  config.defaultBranch = 'main';

  const { packageFiles } = await extractAllDependencies(config);
  await fetchUpdates(config, packageFiles);
  const { branches } = await branchifyUpgrades(config, packageFiles);

  const result = { engine: regexEngineStatus, branches: [] };
  for (const branch of branches) {
    // Each branch starts from the base branch, as Renovate's worker does.
    execFileSync('git', ['checkout', '--quiet', '--', '.'], { cwd: spec.localDir });
    branch.reuseExistingBranch = false;
    const updated = await getUpdatedPackageFiles(branch);
    Object.assign(branch, updated);
    const post = await executePostUpgradeCommands(branch);
    const artifactErrors = [...(branch.artifactErrors ?? []), ...(post?.artifactErrors ?? [])];
    result.branches.push({
      branchName: branch.branchName,
      upgrades: branch.upgrades.map((u) => ({
        depName: u.depName,
        currentValue: u.currentValue,
        currentDigest: u.currentDigest,
        newValue: u.newValue,
        newDigest: u.newDigest,
      })),
      files: Object.fromEntries((branch.updatedPackageFiles ?? []).map((f) => [f.path, f.contents])),
      artifactErrors: artifactErrors.map((e) => e.stderr ?? JSON.stringify(e)),
    });
  }
  fs.writeFileSync(resultPath, JSON.stringify(result, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
