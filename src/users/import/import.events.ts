// One UserBulkAction event (action IMPORT) per committed chunk, not one per row.
//
// The importer calls `chunkCommitted` exactly once per chunk, inside that chunk's transaction
// (after the users, the row errors and the import's counters), so the outbox write is atomic
// with the chunk: no event for a rolled-back chunk, no chunk without its event. After the commit
// it calls `afterCommit` with what `chunkCommitted` returned. Dry runs call neither. The events
// module is wired in by createServices (src/services.ts); `noImportEvents` serves library use
// without events.
import type { Prisma } from '../../generated/prisma/client.js';
import type { ImportMode } from './import.model.js';

export interface ImportChunkEvent {
  action: 'IMPORT';
  importId: string;
  /** The principal's subject (a user id, or "system" for the CLI). */
  actorId: string | null;
  mode: ImportMode;
  /** 1-based chunk number within the import. */
  chunk: number;
  /** File rows (header = 1) the chunk covers, inclusive. */
  fromRow: number;
  toRow: number;
  createdIds: string[];
  updatedIds: string[];
}

export interface ImportEventRecorder {
  chunkCommitted(tx: Prisma.TransactionClient, event: ImportChunkEvent): Promise<unknown>;
  afterCommit?(recorded: unknown): void;
}

export const noImportEvents: ImportEventRecorder = {
  chunkCommitted: () => Promise.resolve(undefined),
};
