/**
 * Envelopes RabbitMQ dead-lettered: the group's quorum queue handed them out `deliveryLimit` times and
 * none was acked (a consumer that crashes on them, a batch nacked over and over). RabbitMQ moves them
 * to the group's dead-letter queue instead of redelivering them forever; from there they become
 * Sluice `DeadLetter`s with their reason, for a dead-letter sink. A packed message (option
 * `packEnvelopes`) is dead-lettered whole and becomes one dead letter per envelope it holds.
 */
import type { DeadLetter } from '@sluice/core';
import type { Channel, GetMessage, XDeath } from 'amqplib';
import { DECODE_ERROR_HEADER, decodeMessage } from './codec.js';
import { decodeEnvelopes, PACKED_HEADER } from './packed.js';

/**
 * The dead letters of up to `max` envelopes of `queue` (one pack more when the last message taken is a
 * pack: packs move whole), their messages taken unacked on `channel`, and the last message (to ack).
 */
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
    letters.push(...toDeadLetters(message, topic));
  }
  return { letters, last };
}

/**
 * The dead letters of one message: for each envelope it holds (one, or the envelopes of a pack), its
 * key, its value as JSON text (the body of an unpacked message as it came), and why RabbitMQ gave up
 * on the message.
 */
export function toDeadLetters(message: GetMessage, topic: string): DeadLetter[] {
  if (message.properties.headers?.[PACKED_HEADER] === undefined) return [toDeadLetter(message, topic)];
  const envelopes = decodeEnvelopes(message);
  const { why, at } = deathOf(message);
  return envelopes.map((envelope, index) => {
    const decodeError = envelope.headers[DECODE_ERROR_HEADER];
    return {
      origin: topic,
      key: envelope.key,
      reason: `${why}; envelope ${index + 1} of ${envelopes.length} of a packed message${decodeError ? `; ${decodeError}` : ''}`,
      payload: typeof envelope.value === 'string' && decodeError ? envelope.value : (JSON.stringify(envelope.value) ?? 'null'),
      at,
    };
  });
}

/** The dead letter of one unpacked message: its key, its body as text, and why RabbitMQ gave up on it. */
export function toDeadLetter(message: GetMessage, topic: string): DeadLetter {
  const envelope = decodeMessage(message);
  const { why, at } = deathOf(message);
  const decodeError = envelope.headers[DECODE_ERROR_HEADER];
  return {
    origin: topic,
    key: envelope.key,
    reason: `${why}${decodeError ? `; ${decodeError}` : ''}`,
    payload: message.content.toString('utf8'),
    at,
  };
}

/** Why RabbitMQ dead-lettered a message and when. */
function deathOf(message: GetMessage): { why: string; at: number } {
  const deaths = (message.properties.headers?.['x-death'] ?? []) as XDeath[];
  const death = deaths[0];
  const from = death?.queue ?? String(message.properties.headers?.['x-first-death-queue'] ?? 'its group queue');
  const why = String(death?.reason) === 'delivery_limit' || String(message.properties.headers?.['x-first-death-reason']) === 'delivery_limit'
    ? 'delivered as often as the delivery limit allows and never acked (a consumer kept failing or crashing on it)'
    : `dead-lettered by RabbitMQ (${death?.reason ?? String(message.properties.headers?.['x-first-death-reason'] ?? 'unknown reason')})`;
  return { why: `${why}; from queue "${from}"`, at: deathTime(death) ?? Date.now() };
}

function deathTime(death: XDeath | undefined): number | undefined {
  const time = death?.time as unknown;
  const seconds = typeof time === 'object' && time !== null ? Number((time as { value?: unknown }).value) : Number(time);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
