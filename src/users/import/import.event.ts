// One UserBulkAction event (action IMPORT) per committed chunk, not one per row.
//
// The chunk writer calls `chunkCommitted` exactly once per chunk, inside that chunk's transaction
// (after the users and the import's record), so the outbox write is atomic with the chunk: no
// event for a rolled-back chunk, no chunk without its event. After the commit it hands what
// `chunkCommitted` stored to `afterCommit`, so subscribers get it at once. Dry runs call neither.
// The events module is wired in by createServices (src/services.ts); `noImportEvents` serves
// library use without events.
import type { UserEvent } from '../../events/user-event.model.js';
import type { Tx } from '../../events/user-event.repository.js';
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
  /** Records the chunk's event in its transaction; returns the events stored. */
  chunkCommitted(tx: Tx, event: ImportChunkEvent): Promise<UserEvent[]>;
  /** After the chunk's commit, with what chunkCommitted stored. */
  afterCommit?(recorded: readonly UserEvent[]): void;
}

export const noImportEvents: ImportEventRecorder = {
  chunkCommitted: () => Promise.resolve([]),
};
