// bcrypt hashing for imported plaintext passwords, on worker threads: bcryptjs is pure
// JavaScript, and one hash at cost 12 blocks a thread for ~300 ms, so hashing on the event loop
// would stall every request while an import runs. Workers start on first use and exit when
// idle, so a server that never imports passwords never pays for them. Logins compare on the same
// workers (compare), for the same reason.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// The worker is inline CommonJS so it runs the same from src/ (vitest) and dist/ (node): there
// is no .js file next to a .ts one under vitest. It loads bcryptjs from the path we resolve.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ id, jobs, cost }) => {
  try {
    parentPort.postMessage({ id, results: jobs.map((j) => (j.hash === undefined ? bcrypt.hashSync(j.password, cost) : bcrypt.compareSync(j.password, j.hash))) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

/** Workers used by default: every core but one, which stays with the event loop. */
export function defaultHashWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Job {
  password: string;
  /** Set for a compare. */
  hash?: string;
  resolve: (result: string | boolean) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Job[] | undefined;
}

const BATCH = 8;
const IDLE_EXIT_MS = 5_000;

export class PasswordHashPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 0;

  constructor(
    private readonly cost: number,
    readonly size: number = defaultHashWorkers(),
  ) {}

  hash(password: string): Promise<string> {
    return new Promise<string | boolean>((resolve, reject) => {
      this.queue.push({ password, resolve, reject });
      this.dispatch();
    }).then(String);
  }

  /** bcrypt's compare on a worker. A login is one job: it goes ahead of batching (see dispatch). */
  compare(password: string, hash: string): Promise<boolean> {
    return new Promise<string | boolean>((resolve, reject) => {
      // Ahead of queued import hashes: a login waits for one batch at most, not for the import.
      this.queue.unshift({ password, hash, resolve, reject });
      this.dispatch();
    }).then((r) => r === true);
  }

  /** Stops the workers; pending hashes fail. */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) job.reject(new Error('password pool closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      // A compare goes alone: a login must not wait for seven other hashes in its batch.
      const jobs = this.queue[0]?.hash !== undefined ? this.queue.splice(0, 1) : this.queue.splice(0, BATCH);
      slot.busy = jobs;
      // Referenced only while busy: an idle worker must not keep a CLI or a test alive.
      slot.worker.ref();
      slot.worker.postMessage({ id: this.nextId++, jobs: jobs.map((j) => ({ password: j.password, hash: j.hash })), cost: this.cost });
    }
    if (this.slots.every((s) => !s.busy)) {
      this.idleTimer = setTimeout(() => void this.close(), IDLE_EXIT_MS);
      this.idleTimer.unref();
    }
  }

  private spawn(): Slot {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
    worker.unref();
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (msg: { results?: (string | boolean)[]; error?: string }) => {
      const jobs = slot.busy ?? [];
      slot.busy = undefined;
      worker.unref();
      jobs.forEach((job, i) => {
        const result = msg.results?.[i];
        if (result !== undefined) job.resolve(result);
        else job.reject(new Error(msg.error ?? 'hashing failed'));
      });
      this.dispatch();
    });
    worker.on('error', (error) => {
      for (const job of slot.busy ?? []) job.reject(error);
      slot.busy = undefined;
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.dispatch();
    });
    this.slots.push(slot);
    return slot;
  }
}
