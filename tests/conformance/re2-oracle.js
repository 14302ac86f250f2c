// The oracle for img-mirror's RE2 differential test: compiles each pattern with
// Renovate's own `regEx` (node-re2 with RE2 loaded; refuses to run otherwise) and runs
// Renovate's own `regexMatchAll` over each haystack.
// Usage: node re2-oracle.js RENOVATE_PREFIX CASES.json RESULTS.json
// Case: {pattern, haystacks: [..]}. Result: {ok, error?, runs: [{count, first}]}: per
// haystack the number of matches and the first 100 as [start, end, {group: text|null}],
// with byte offsets into the UTF-8 haystack (an empty match repeats to the 10,000 cap).
'use strict';
const path = require('path');
const fs = require('fs');

async function load(prefix, module) {
  const dist = path.join(prefix, 'node_modules/renovate/dist', module);
  for (const file of [dist + '.js', dist + '/index.js']) {
    if (fs.existsSync(file)) return import(file);
  }
  throw new Error(`no ${module} in ${prefix}`);
}

async function main() {
  const [prefix, casesPath, resultsPath] = process.argv.slice(2);
  const regex = await load(prefix, 'util/regex');
  const utils = await load(prefix, 'modules/manager/custom/regex/utils');
  const regEx = regex.regEx ?? regex.default?.regEx;
  const status = regex.regexEngineStatus ?? regex.default?.regexEngineStatus;
  const regexMatchAll = utils.regexMatchAll ?? utils.default?.regexMatchAll;
  if (status?.type !== 'available') {
    console.error(`Renovate is not using RE2 (${JSON.stringify(status)}); refusing to be an oracle`);
    process.exit(3);
  }
  const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
  const results = cases.map(({ pattern, haystacks }) => {
    let re;
    try {
      re = regEx(pattern, 'g');
    } catch (err) {
      return { ok: false, error: String(err.validationError ?? err.message) };
    }
    // A fresh regex per haystack, as Renovate compiles one per file: a `g` regex keeps
    // its lastIndex after the 10,000-match cap.
    const runs = haystacks.map((haystack) => {
      const all = regexMatchAll(regEx(pattern, 'g'), haystack);
      const first = all.slice(0, 100).map((m) => {
        const start = Buffer.byteLength(haystack.slice(0, m.index));
        const end = start + Buffer.byteLength(m[0]);
        const groups = {};
        for (const [name, value] of Object.entries(m.groups ?? {})) groups[name] = value ?? null;
        return [start, end, groups];
      });
      return { count: all.length, first };
    });
    return { ok: true, runs };
  });
  fs.writeFileSync(resultsPath, JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
