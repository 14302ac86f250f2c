// Writes crates/renovate-regex/src/re2/tables.rs: the Unicode data RE2 itself matches with, read off
// the RE2 that Renovate loads (its `re2` npm module), not off any Unicode release. RE2
// carries its own, older tables; the Rust regex crate's are newer, so `\p{Nd}` or a
// case-insensitive letter would match different characters if we used the crate's.
//
// Usage: node re2-tables.js RENOVATE_PREFIX tools/re2-script-names.txt > src/re2/tables.rs
// (from crates/renovate-regex/, with the Renovate tests/tools/renovate.sh installs)
// SCRIPT_NAMES_FILE holds candidate script names, one a line (RE2 is asked about each;
// the names it refuses are left out, as RE2 refuses them). tools/re2-script-names.txt
// holds the 163 RE2 accepts.
'use strict';
const path = require('path');
const fs = require('fs');

const RE2 = require(path.join(process.argv[2], 'node_modules/re2'));
const scripts = fs.readFileSync(process.argv[3], 'utf8').split('\n').filter(Boolean);
const categories = 'C Cc Cf Cn Co Cs L LC Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' ');

// Every scalar value once, in order, as UTF-8; byte offset -> code point.
const points = [];
for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) points.push(cp);
const text = Buffer.from(points.map((cp) => String.fromCodePoint(cp)).join(''), 'utf8');
const pointAt = new Map();
{
  let offset = 0;
  for (const cp of points) {
    pointAt.set(offset, cp);
    offset += Buffer.byteLength(String.fromCodePoint(cp));
  }
  pointAt.set(offset, 0x110000);
}

// The code points `pattern` matches, as runs [lo, hi] of consecutive scalar values.
function runs(pattern) {
  const re = new RE2(pattern, 'g');
  const found = [];
  let m;
  while ((m = re.exec(text)) !== null) {
    const start = pointAt.get(m.index);
    const end = pointAt.get(m.index + m[0].length);
    found.push([start, end - 1]);
    if (m[0].length === 0) re.lastIndex++;
  }
  return found;
}

function compiles(pattern) {
  try {
    new RE2(pattern);
    return true;
  } catch {
    return false;
  }
}

const groups = [];
for (const name of [...categories, ...scripts]) {
  if (!compiles(`\\p{${name}}`)) continue;
  groups.push([name, runs(`\\p{${name}}+`)]);
}

// Case-fold orbits: every code point that JavaScript gives another case is asked of RE2,
// which answers with the whole orbit `(?i)` makes of it.
const seen = new Set();
const orbits = [];
for (const cp of points) {
  if (seen.has(cp)) continue;
  const s = String.fromCodePoint(cp);
  if (s.toLowerCase() === s && s.toUpperCase() === s) continue;
  const orbit = runs(`(?i)\\x{${cp.toString(16)}}`).map(([lo]) => lo);
  for (const member of orbit) seen.add(member);
  if (orbit.length > 1) orbits.push(orbit);
}
// Members of an orbit whose first member has no JavaScript case were reached through
// another member above; nothing else folds in RE2.

const next = [];
for (const orbit of orbits) {
  orbit.sort((a, b) => a - b);
  orbit.forEach((cp, i) => next.push([cp, orbit[(i + 1) % orbit.length]]));
}
next.sort((a, b) => a[0] - b[0]);

const hex = (n) => `0x${n.toString(16).toUpperCase()}`;
let out = '';
out += '//! Generated from the RE2 that Renovate loads, by tools/re2-tables.js and rustfmt\n';
out += '//! (tools/regenerate-tables.sh writes it; `--check` compares, as CI does); do not edit.\n';
out += '//! Unicode groups (`\\p{Name}`) as RE2 matches them, and RE2\'s case-fold orbits.\n\n';
out += '/// `\\p{Name}` groups RE2 knows: name and sorted ranges of code points.\n';
out += 'pub static GROUPS: &[(&str, &[(u32, u32)])] = &[\n';
for (const [name, ranges] of groups) {
  out += `    ("${name}", &[${ranges.map(([lo, hi]) => `(${hex(lo)}, ${hex(hi)})`).join(', ')}]),\n`;
}
out += '];\n\n';
out += '/// Each code point that folds to others under `(?i)`, with the next one of its orbit\n';
out += '/// (the orbit is a cycle), sorted by code point.\n';
out += 'pub static FOLD_NEXT: &[(u32, u32)] = &[\n';
for (let i = 0; i < next.length; i += 6) {
  out += `    ${next.slice(i, i + 6).map(([a, b]) => `(${hex(a)}, ${hex(b)})`).join(', ')},\n`;
}
out += '];\n';
process.stdout.write(out);
