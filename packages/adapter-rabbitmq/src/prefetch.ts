/**
 * The prefetch of a consumer: how many unacked messages RabbitMQ may push to it. Pure: no I/O.
 *
 * RabbitMQ bounds a consumer by messages, not by envelopes or bytes, and fixes the bound when the
 * consumer starts (`basic.qos` applies to consumers started after it). A consumer should hold about
 * `batchSize × maxInFlight` envelopes: that many messages when each holds one envelope, and a few
 * when they are packs of hundreds. So the session watches how many envelopes its messages hold and,
 * when the prefetch that fits differs by more than half from the one in force, starts a new AMQP
 * consumer with it and cancels the old one (what the old one holds stays unacked on the channel).
 */

/** How far the prefetch in force may be from the one that fits before the consumer starts over. */
const SLACK = 1.5;
/** Per message, how much of the largest message seen before still counts (the estimate decays). */
const DECAY = 0.9;

/**
 * The prefetch for messages of about `perMessage` envelopes: `batchSize × maxInFlight` messages of one
 * envelope, or as many packs as hold that many envelopes plus one (the pack being split over two
 * deliveries), never more than `batchSize × maxInFlight`.
 */
export function prefetchFor(batchSize: number, maxInFlight: number, perMessage: number): number {
  const envelopes = batchSize * maxInFlight;
  if (perMessage <= 1) return envelopes;
  return Math.min(envelopes, Math.ceil(envelopes / perMessage) + 1);
}

/**
 * The estimate of envelopes per message after a message of `count` envelopes: the largest recent one,
 * decaying by 10 % a message, so a pack larger than the estimate lowers the prefetch at once and a
 * switch to smaller messages raises it within some tens of messages.
 */
export function nextPerMessage(estimate: number | undefined, count: number): number {
  return estimate === undefined ? count : Math.max(count, estimate * DECAY);
}

/** Whether the consumer should start over with `wanted` instead of `current`. */
export function shouldChange(current: number, wanted: number): boolean {
  return wanted > current * SLACK || wanted * SLACK < current;
}
