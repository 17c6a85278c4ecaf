// A fixed number of SMTP connections shared by every send of a process, opened when first
// needed and kept for the whole send (a relay that closes one, or an idle timeout, costs one
// reconnect). A message waits for a free connection; a connection that failed is dropped and
// the next message opens a new one, so a relay that is down fails each message quickly.
import { SmtpConnection, smtpError, type SmtpConnectionOptions } from './smtp-connection.ts';

export class SmtpConnectionPool {
  /** connections open or being opened */
  private count = 0;
  private idle: SmtpConnection[] = [];
  private waiters: Array<(c: SmtpConnection | undefined) => void> = [];
  private closed = false;
  /** connections opened so far (tests: the pool reuses them) */
  opened = 0;

  constructor(private readonly options: SmtpConnectionOptions, private readonly size: number) {}

  async send(from: string, to: string, message: readonly Buffer[]): Promise<string> {
    const conn = await this.acquire();
    try {
      return await conn.send(from, to, message);
    } finally {
      this.release(conn);
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle) c.close();
    this.idle = [];
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private async acquire(): Promise<SmtpConnection> {
    for (;;) {
      if (this.closed) throw smtpError('SMTP transport closed', 'ECONNECTION');
      let c: SmtpConnection | undefined;
      while ((c = this.idle.pop())) {
        if (!c.broken) return c;
        this.count--;
      }
      if (this.count < this.size) {
        this.count++;
        try {
          const opened = await SmtpConnection.open(this.options);
          this.opened++;
          return opened;
        } catch (err) {
          this.count--;
          this.waiters.shift()?.(undefined);
          throw err;
        }
      }
      c = await new Promise<SmtpConnection | undefined>((resolve) => this.waiters.push(resolve));
      if (c) return c;
    }
  }

  private release(c: SmtpConnection): void {
    if (c.broken || this.closed) {
      this.count--;
      c.close();
      this.waiters.shift()?.(undefined);
      return;
    }
    const next = this.waiters.shift();
    if (next) next(c);
    else this.idle.push(c);
  }
}
