// The validated rows of an import, kept on disk between its two passes. The first pass parses
// and validates every row (nothing may be written if one is bad); the second used to parse and
// validate the file all over again, which was half of an import's CPU. Instead the first pass
// appends each batch of validated writes here, serialised by V8 (dates stay dates), and the
// second reads them back a batch at a time: memory stays at one batch either way.
//
// The rows hold personal data, so the file has no name while it is used: it is unlinked as soon
// as it is opened, and the open descriptor alone keeps it. However the import ends, a crash or a
// kill included, the kernel frees it with the process and nothing stays on disk.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

const LENGTH_BYTES = 4;

export class RowSpill<T> {
  /** where the rows were created (tests check nothing is there) */
  readonly file: string;
  private readonly fd: number;
  private pending: T[] = [];
  private written = 0;

  constructor(private readonly batchSize: number) {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-import-rows-'));
    this.file = join(dir, 'rows.bin');
    try {
      this.fd = openSync(this.file, 'w+', 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Add one validated row (written to disk once a batch is full). */
  push(row: T): void {
    this.pending.push(row);
    if (this.pending.length >= this.batchSize) this.flush();
  }

  private flush(): void {
    if (!this.pending.length) return;
    const body = serialize(this.pending);
    const head = Buffer.alloc(LENGTH_BYTES);
    head.writeUInt32LE(body.length);
    writeFully(this.fd, head, this.written);
    writeFully(this.fd, body, this.written + LENGTH_BYTES);
    this.written += LENGTH_BYTES + body.length;
    this.pending = [];
  }

  /** The rows in the order they were pushed, one batch at a time. */
  *batches(): Generator<T[]> {
    this.flush();
    const head = Buffer.alloc(LENGTH_BYTES);
    for (let at = 0; at < this.written;) {
      readFully(this.fd, head, at);
      const body = Buffer.alloc(head.readUInt32LE());
      readFully(this.fd, body, at + LENGTH_BYTES);
      at += LENGTH_BYTES + body.length;
      yield deserialize(body) as T[];
    }
  }

  /** Release the file (it has no name: closing it frees it). */
  dispose(): void {
    closeSync(this.fd);
  }
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  for (let done = 0; done < buf.length;) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function readFully(fd: number, buf: Buffer, position: number): void {
  for (let done = 0; done < buf.length;) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`import spill file ended early at byte ${position + done}`);
    done += n;
  }
}
