// .env.example is how a newcomer learns which variables exist: it must list every one that
// config.ts reads (as `NAME=` or `# NAME=`), and the README's Configuration table must too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';

const root = join(import.meta.dirname, '../..');

describe('.env.example', () => {
  const listed = new Set(
    readFileSync(join(root, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined),
  );

  it('lists every variable config.ts reads', () => {
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(10);
    expect(CONFIG_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('lists nothing config.ts does not read', () => {
    expect([...listed].filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  it('every variable has a row in the README Configuration table', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const documented = new Set([...section.matchAll(/^\| (.+?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((n) => n[1]!)));
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });
});
