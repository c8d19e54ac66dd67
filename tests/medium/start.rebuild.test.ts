// `npm start` (scripts/start.mjs) runs the bundled server without building when the build is
// current, and rebuilds it first, in the same process, when a source changed. Run on a scratch
// project with the real scripts and node_modules, so the repository's own dist/ is never touched.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';

const root = mkdtempSync(join(tmpdir(), 'users-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeMain(text: string): void {
  writeFileSync(join(root, 'src', 'main.ts'), `process.stdout.write(${JSON.stringify(text + '\n')});\n`);
}

function npmStart(): { stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'start.mjs')], { cwd: root, encoding: 'utf8', timeout: 110_000 });
  expect(run.status, run.stderr).toBe(0);
  return { stdout: run.stdout, stderr: run.stderr };
}

describe('npm start and the build', () => {
  it('builds when there is no build, runs the bundle as is while current, rebuilds after an edit', () => {
    mkdirSync(join(root, 'scripts'));
    mkdirSync(join(root, 'src'));
    for (const file of ['build.mjs', 'start.mjs']) cpSync(join(projectRoot(), 'scripts', file), join(root, 'scripts', file));
    symlinkSync(join(projectRoot(), 'node_modules'), join(root, 'node_modules'), 'dir');
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'dist', rootDir: '.', skipLibCheck: true, types: ['node'] } }));
    writeFileSync(join(root, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src'] }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    writeMain('first build');

    const first = npmStart();
    expect(first.stderr).toContain('compiling');
    expect(first.stdout).toBe('first build\n');

    const again = npmStart();
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('first build\n');

    writeMain('edited');
    // A size change alone marks it stale; a later mtime makes the edit unmistakable either way.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'src', 'main.ts'), later, later);
    const edited = npmStart();
    expect(edited.stderr).toContain('compiling');
    expect(edited.stdout).toBe('edited\n');
  }, 240_000);
});
