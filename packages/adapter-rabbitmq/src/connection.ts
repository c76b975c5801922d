/**
 * One AMQP connection, opened on first use and opened again on the next use after it was lost.
 * The broker keeps two: one for publishing (RabbitMQ throttles publishing connections under memory
 * alarms, which must not stall acks) and one for consuming. Opening is a single attempt; whoever
 * needs the connection decides whether and how to retry.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { coalesceWrites } from './coalesced-writes.js';
import { closedError } from './errors.js';

/** What a lost connection tells its users. */
export type LostListener = (error: Error | undefined) => void;

/** A lazily opened, re-openable connection. */
export class AmqpConnection {
  private current: Promise<ChannelModel> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    /** Shown by RabbitMQ as the connection's name (`rabbitmqctl list_connections name client_properties`). */
    private readonly name: string,
    private readonly settings: { heartbeatSeconds: number; connectTimeoutMs: number },
  ) {}

  /** The open connection; opens one if there is none. Rejects with amqplib's error when it cannot. */
  get(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(closedError('connect'));
    if (!this.current) {
      const opening = this.open();
      this.current = opening;
      opening.catch(() => {
        if (this.current === opening) this.current = undefined;
      });
    }
    return this.current;
  }

  /** Closes the connection (pending deliveries go back to their queues); later `get()`s reject. */
  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    // A peer that went silent never answers close-ok: wait at most the connect timeout (heartbeats end it later).
    const closing = current?.then((model) => model.close()).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.connectTimeoutMs)));
    await Promise.race([closing, gaveUp]);
    clearTimeout(timer);
  }

  private async open(): Promise<ChannelModel> {
    const url = new URL(this.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(this.settings.heartbeatSeconds));
    const model = await amqp.connect(url.toString(), {
      timeout: this.settings.connectTimeoutMs,
      noDelay: true,
      clientProperties: { connection_name: this.name },
    });
    // No socket event can come between `connect` resolving and these lines (they run in its continuation).
    this.opened = model;
    coalesceWrites(model);
    // 'error' is always followed by 'close'; without a listener it would crash the process.
    model.on('error', () => undefined);
    model.on('close', () => {
      if (this.opened !== model) return;
      this.opened = undefined;
      this.current = undefined;
    });
    if (this.closed) {
      await model.close().catch(() => undefined);
      throw closedError('connect');
    }
    return model;
  }

  /** The connection `current` resolved to, while it is open. */
  private opened: ChannelModel | undefined;
}
