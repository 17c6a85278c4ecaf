// A fixed number of SMTP connections shared by every send of a process, opened when first
// needed and kept for the whole send (a relay that closes one, or an idle timeout, costs one
// reconnect). Messages queue here; each connection takes the next one as it writes the body of
// the one before (smtp-connection.ts pipelines its envelope). A connection that failed is
// dropped and a new one opened for what is queued, so a relay that is down fails each message
// quickly.
import { SmtpConnection, smtpError, type SmtpConnectionOptions, type SmtpJob } from './smtp-connection.ts';

interface QueuedJob extends SmtpJob {
  resolve(reply: string): void;
  reject(err: Error): void;
}

export class SmtpConnectionPool {
  /** connections open or being opened */
  private count = 0;
  private opening = 0;
  private idle: SmtpConnection[] = [];
  private queue: QueuedJob[] = [];
  private closed = false;
  /** connections opened so far (tests: the pool reuses them) */
  opened = 0;

  constructor(private readonly options: SmtpConnectionOptions, private readonly size: number) {}

  send(from: string, to: string, message: readonly Buffer[]): Promise<string> {
    if (this.closed) return Promise.reject(smtpError('SMTP transport closed', 'ECONNECTION'));
    return new Promise((resolve, reject) => {
      this.queue.push({ from, to, message, resolve, reject });
      this.dispatch();
    });
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle) c.close();
    this.idle = [];
    for (const job of this.queue.splice(0)) job.reject(smtpError('SMTP transport closed', 'ECONNECTION'));
  }

  /** Put idle connections to work, and open new ones while messages wait and the pool has room. */
  private dispatch(): void {
    while (!this.closed && this.queue.length > this.opening) {
      const idle = this.idle.pop();
      if (idle) {
        if (idle.broken) { this.count--; continue; }
        void this.drive(idle);
      } else if (this.count < this.size) {
        this.count++;
        this.opening++;
        SmtpConnection.open(this.options).then((conn) => {
          this.opening--;
          this.opened++;
          if (this.closed) { this.count--; conn.close(); return; }
          void this.drive(conn);
        }, (err: Error) => {
          this.opening--;
          this.count--;
          // the message that asked for this connection fails with the reason (a retry decides)
          this.queue.shift()?.reject(err);
          this.dispatch();
        });
      } else {
        return;
      }
    }
  }

  /** Send queued messages over `conn` until none wait, then park it (or drop it if it broke). */
  private async drive(conn: SmtpConnection): Promise<void> {
    let job = this.queue.shift();
    while (job) {
      let carried: QueuedJob | undefined;
      try {
        job.resolve(await conn.send(job, () => (carried = this.closed ? undefined : this.queue.shift())));
      } catch (err) {
        job.reject(err as Error);
      }
      // a message whose envelope already went out on this connection is finished here, whatever happens
      job = carried ?? (conn.broken || this.closed ? undefined : this.queue.shift());
    }
    if (conn.broken || this.closed) {
      this.count--;
      conn.close();
      this.dispatch();
    } else {
      this.idle.push(conn);
    }
  }
}
