// dist/main.bundle.js (the build copies this file there): starts the bundled server,
// dist/main.bundle.cjs, through V8's code cache. Node 20 keeps no compiled code between runs
// (module.enableCompileCache is Node 22+), so every start parsed and compiled the 4.6 MB bundle
// again; vm.Script can hand V8 a cache of a CommonJS script instead. After a start, the cache of
// everything compiled so far is written beside the bundle, and the next start uses it.
//
// V8 checks a cache against the source's length, not its content, so the cache file starts with
// the SHA-1 of the bundle it was made from: a rebuilt bundle never runs another bundle's code.
// Where dist/ is read-only (the container image) there is no cache and the start just compiles.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('./main.bundle.cjs', import.meta.url));
const cacheFile = fileURLToPath(new URL('./main.bundle.v8cache', import.meta.url));
// Written once the start is over (what it compiled is what later starts need), not at exit.
const WRITE_CACHE_AFTER_MS = 5_000;

const source = readFileSync(bundle, 'utf8');
const digest = createHash('sha1').update(source).digest();
let cachedData;
try {
  const file = readFileSync(cacheFile);
  if (file.subarray(0, digest.length).equals(digest)) cachedData = file.subarray(digest.length);
} catch {
  // No cache yet.
}

const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));

if (!cachedData || script.cachedDataRejected) {
  const timer = setTimeout(() => {
    const temporary = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(temporary, Buffer.concat([digest, script.createCachedData()]));
      renameSync(temporary, cacheFile);
    } catch {
      rmSync(temporary, { force: true }); // read-only dist/: start without a cache
    }
  }, WRITE_CACHE_AFTER_MS);
  timer.unref();
}
