// Loads one of Renovate's own modules from an installed Renovate, for img-mirror's test
// scripts; works with Renovate 39 (CommonJS) and 44 (ES modules).
'use strict';
const path = require('path');
const fs = require('fs');

async function load(prefix, module) {
  const dist = path.join(prefix, 'node_modules/renovate/dist', module);
  for (const file of [dist + '.js', dist + '/index.js']) {
    if (fs.existsSync(file)) {
      const loaded = await import(file);
      return { ...loaded.default, ...loaded, default: loaded.default?.default ?? loaded.default };
    }
  }
  throw new Error(`no ${module} in ${prefix}`);
}

module.exports = { load };
