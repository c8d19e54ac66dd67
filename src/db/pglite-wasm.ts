// PGlite's WebAssembly (9 MB), compiled once per process and as early as possible. PGlite.create
// compiles it itself when it opens, so the compile sat on the start's critical path; started
// before the server's modules load (src/main.ts), WebAssembly.compile runs on V8's background
// threads while the main thread loads them, and the open then only instantiates it. Kept apart
// from client.ts so that main.ts can start it without loading Prisma and PGlite first.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PGliteOptions } from '@electric-sql/pglite';

type WasmModule = NonNullable<PGliteOptions['pgliteWasmModule']>;

// The project's lib (ES2023, no DOM) declares no WebAssembly global.
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;

let compiling: Promise<WasmModule> | undefined;

/** The compiled module; the first call starts the compile. */
export function pgliteWasmModule(): Promise<WasmModule> {
  compiling ??= wasm.compile(readFileSync(createRequire(import.meta.url).resolve('@electric-sql/pglite/pglite.wasm')));
  return compiling;
}
