/**
 * Envelopes RabbitMQ dead-lettered: the group's quorum queue handed them out `deliveryLimit` times and
 * none was acked (a consumer that crashes on them, a batch nacked over and over). RabbitMQ moves them
 * to the group's dead-letter queue instead of redelivering them forever; from there they become
 * Sluice `DeadLetter`s with their reason, for a dead-letter sink.
 */
import type { DeadLetter } from '@sluice/core';
import type { Channel, GetMessage, XDeath } from 'amqplib';
import { DECODE_ERROR_HEADER, decodeMessage } from './codec.js';

/** Up to `max` dead-lettered messages of `queue`, taken unacked on `channel`, and the last one (to ack). */
export async function readDeadLetters(
  channel: Channel,
  queue: string,
  topic: string,
  max: number,
): Promise<{ letters: DeadLetter[]; last: GetMessage | undefined }> {
  const letters: DeadLetter[] = [];
  let last: GetMessage | undefined;
  while (letters.length < max) {
    const message = await channel.get(queue, { noAck: false });
    if (message === false) break;
    last = message;
    letters.push(toDeadLetter(message, topic));
  }
  return { letters, last };
}

/** The dead letter of one message: its key, its body as text, and why RabbitMQ gave up on it. */
export function toDeadLetter(message: GetMessage, topic: string): DeadLetter {
  const envelope = decodeMessage(message);
  const deaths = (message.properties.headers?.['x-death'] ?? []) as XDeath[];
  const death = deaths[0];
  const from = death?.queue ?? String(message.properties.headers?.['x-first-death-queue'] ?? 'its group queue');
  const why = String(death?.reason) === 'delivery_limit' || String(message.properties.headers?.['x-first-death-reason']) === 'delivery_limit'
    ? 'delivered as often as the delivery limit allows and never acked (a consumer kept failing or crashing on it)'
    : `dead-lettered by RabbitMQ (${death?.reason ?? String(message.properties.headers?.['x-first-death-reason'] ?? 'unknown reason')})`;
  const decodeError = envelope.headers[DECODE_ERROR_HEADER];
  return {
    origin: topic,
    key: envelope.key,
    reason: `${why}; from queue "${from}"${decodeError ? `; ${decodeError}` : ''}`,
    payload: message.content.toString('utf8'),
    at: deathTime(death) ?? Date.now(),
  };
}

function deathTime(death: XDeath | undefined): number | undefined {
  const time = death?.time as unknown;
  const seconds = typeof time === 'object' && time !== null ? Number((time as { value?: unknown }).value) : Number(time);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
