// Append-only local files in the data directory for what must not be lost while the database
// cannot take it: tracking hits that overflow the memory buffer, and accepted unsubscribes.
// Each process writes its own segments (`<name>-<pid>-<run>-<n>.jsonl`); a segment is replayed
// by its writer once sealed, or by a later process once its writer is gone. Replays are safe
// because everything in them is written with keyed, idempotent writes.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, unlinkSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** Runs of this process that are still open (tests run several engines in one process). */
const liveRuns = new Set<string>();

const SEGMENT = /^([a-z]+)-(\d+)-([a-z0-9]+)-(\d+)\.jsonl$/;

export class Spool<T> {
  private readonly run = randomBytes(4).toString('hex');
  private seq = 0;
  private current?: { path: string; stream: WriteStream; lines: number };

  constructor(readonly dir: string, private readonly name: string, private readonly maxLinesPerSegment = 50_000) {
    mkdirSync(dir, { recursive: true });
    liveRuns.add(this.run);
  }

  /** This run writes no more (its files stay for whoever replays them). */
  async close(): Promise<void> {
    await this.seal();
    liveRuns.delete(this.run);
  }

  /** Buffered append to the open segment (for hits: fast, flushed when sealed). */
  write(item: T): void {
    if (!this.current) {
      const path = join(this.dir, `${this.name}-${process.pid}-${this.run}-${++this.seq}.jsonl`);
      this.current = { path, stream: createWriteStream(path, { flags: 'a', mode: 0o600 }), lines: 0 };
    }
    this.current.stream.write(`${JSON.stringify(item)}\n`);
    if (++this.current.lines >= this.maxLinesPerSegment) void this.seal();
  }

  /** Durable append: on disk (fsync) before it resolves. For answers we promised to keep. */
  async writeDurably(item: T): Promise<string> {
    const path = join(this.dir, `${this.name}-${process.pid}-${this.run}-${++this.seq}.jsonl`);
    const fh = await open(path, 'a', 0o600);
    try {
      await fh.write(`${JSON.stringify(item)}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    return path;
  }

  get writing(): number { return this.current?.lines ?? 0; }

  /** Closes the open segment so it can be replayed. */
  async seal(): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    await new Promise<void>((resolve, reject) => c.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  /** Segments to replay now: this run's closed ones, and any left by runs that are gone. */
  pending(): string[] {
    return readdirSync(this.dir).filter((f) => {
      const m = SEGMENT.exec(f);
      if (!m || m[1] !== this.name) return false;
      if (m[3] === this.run) return join(this.dir, f) !== this.current?.path;
      // same pid, another run: an earlier incarnation of this process (containers reuse pids)
      return Number(m[2]) === process.pid ? !liveRuns.has(m[3]!) : !alive(Number(m[2]));
    }).map((f) => join(this.dir, f)).sort();
  }

  read(path: string): T[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    // a torn last line (a crash mid-write) is skipped: everything before it was complete
    return text.split('\n').filter(Boolean).flatMap((line) => {
      try { return [JSON.parse(line) as T]; } catch { return []; }
    });
  }

  remove(path: string): void {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
