// Import progress as the operator sees it: rows committed (from the import's own record, updated
// when a chunk commits, never bytes read), with rate and ETA. On a terminal, one redrawn line on
// stderr; otherwise (a log file, CI) one line per committed chunk.

export interface ProgressSnapshot {
  processedRows: number;
  status: string;
}

export class ImportProgressBar {
  private readonly tty = process.stderr.isTTY;
  private lastRows = -1;
  private readonly started = performance.now();

  constructor(private readonly totalRows: number) {}

  update(record: ProgressSnapshot): void {
    if (record.processedRows === this.lastRows) return;
    this.lastRows = record.processedRows;
    const line = this.line(record.processedRows);
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else process.stderr.write(`${line}\n`);
  }

  /** The line for a number of committed rows: bar (terminal only), counts, rate, ETA. */
  line(rows: number): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? rows / seconds : 0;
    const ratio = this.totalRows > 0 ? Math.min(1, rows / this.totalRows) : 0;
    const eta = rate > 0 && this.totalRows > rows ? formatSeconds((this.totalRows - rows) / rate) : rows >= this.totalRows ? '0s' : '?';
    const width = 30;
    const filled = Math.round(ratio * width);
    const bar = this.tty ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
    return `${bar}${(ratio * 100).toFixed(0).padStart(3)}%  ${rows.toLocaleString('en')} / ${this.totalRows.toLocaleString('en')} rows committed  ${Math.round(rate).toLocaleString('en')} rows/s  ETA ${eta}`;
  }

  done(): void {
    if (this.tty && this.lastRows >= 0) process.stderr.write('\n');
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.ceil(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
