/**
 * The corpus through the example's webhook, `POST /ingest/metrics`, as an NDJSON body and as a
 * JSON-array body: invalid records are answered with their index and reason and dead-lettered
 * with their raw text, valid ones reach the broker; a body that cannot be read at all is refused
 * with a message naming where and why, and then nothing of it is published.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hugeLineCase, smallCases } from './cases.js';
import { MAX_REASON_CHARS, expectRejects } from './expectations.js';
import { sortRows } from './landing.js';
import { appliesTo, render, type Rendered } from './render.js';
import { startWebhook, type Webhook, type WebhookOutcome } from './webhook-fixture.js';

const NDJSON = 'application/x-ndjson';
const JSON_TYPE = 'application/json';

let webhook: Webhook | undefined;
afterEach(async () => {
  await webhook?.close();
  webhook = undefined;
});

/** The answer as text, for failure messages. */
const answer = (outcome: WebhookOutcome) => JSON.stringify(outcome.body).slice(0, 400);

/**
 * Checks a 202 answer against the case: counts, each invalid record's index and reason, its dead
 * letter with the raw record, and the valid records on the broker. `reasons` false checks only
 * that each reason is there and short (the body was malformed, so wording is the server's).
 */
function expectAnswered(outcome: WebhookOutcome, rendered: Rendered, label: string, reasons = true): void {
  expect(outcome.status, `${label}: status (answer ${answer(outcome)})`).toBe(202);
  const errors = outcome.body.errors ?? [];
  for (const reject of rendered.rejects) {
    const error = errors.find((e) => e.index === reject.index);
    expect(error, `${label}: the answer names record ${reject.index} (answer ${answer(outcome)})`).toBeDefined();
    if (reasons) expect(error?.reason, `${label}: reason of record ${reject.index}`).toMatch(reject.reason);
    expect(error?.reason.length, `${label}: length of the reason of record ${reject.index}`).toBeLessThanOrEqual(MAX_REASON_CHARS);
  }
  expect(errors.length, `${label}: invalid records answered (answer ${answer(outcome)})`).toBe(rendered.rejects.length);
  expect(outcome.body.accepted, `${label}: accepted`).toBe(rendered.rows.length);
  expectRejects(outcome.letters, rendered.rejects, `${label}, dead letters`, { lines: false, reasons });
  for (const letter of outcome.letters) {
    expect(letter.payload, `${label}: the dead letter of record ${letter.position?.index} keeps the raw record`).not.toBe('');
  }
  expect(outcome.rows, `${label}: what reached the broker`).toEqual(sortRows(rendered.rows));
}

/** Whether `content` is one well-formed JSON text as a JSON parser sees it (after UTF-8 decoding). */
function isWellFormedJson(content: Buffer): boolean {
  try {
    JSON.parse(content.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks the answer to a body: record by record when the body can be read that way (always for a
 * well-formed one); otherwise refused with 400 and a message that says where and why (or that the
 * body is empty), and then nothing of it published or dead-lettered.
 */
function expectOutcome(outcome: WebhookOutcome, rendered: Rendered, label: string, wellFormed: boolean, empty: boolean): void {
  if (wellFormed || outcome.status === 202) return expectAnswered(outcome, rendered, label, wellFormed);
  expect(outcome.status, `${label}: status (answer ${answer(outcome)})`).toBe(400);
  const message = outcome.body.error ?? outcome.body.message ?? '';
  expect(message, `${label}: the refusal says where the body is malformed`).toMatch(empty ? /empty/ : /(position|offset|byte|index|line|column|element) \d+/);
  expect(outcome.rows, `${label}: nothing published`).toEqual([]);
  expect(outcome.letters, `${label}: nothing dead-lettered`).toEqual([]);
}

describe('corpus through the webhook', () => {
  for (const corpusCase of smallCases.filter((c) => appliesTo(c, 'ndjson'))) {
    it(`${corpusCase.name} (NDJSON body)`, async () => {
      const rendered = render(corpusCase, 'ndjson');
      webhook = startWebhook();
      const outcome = await webhook.post(NDJSON, rendered.content);
      // NDJSON can always be answered line by line; only an empty body may be refused whole.
      expectOutcome(outcome, rendered, `webhook NDJSON, ${corpusCase.name}`, !corpusCase.whole, true);
    });
  }

  for (const corpusCase of smallCases.filter((c) => appliesTo(c, 'json'))) {
    it(`${corpusCase.name} (JSON array body)`, async () => {
      const rendered = render(corpusCase, 'json');
      webhook = startWebhook();
      const outcome = await webhook.post(JSON_TYPE, rendered.content);
      expectOutcome(outcome, rendered, `webhook JSON array, ${corpusCase.name}`, isWellFormedJson(rendered.content), corpusCase.whole !== undefined);
    });
  }

  it('20 MB single lines over the body limit are refused with 413, and nothing is published', async () => {
    webhook = startWebhook();
    const outcome = await webhook.post(NDJSON, render(hugeLineCase(), 'ndjson').content);
    expect(outcome.status, answer(outcome)).toBe(413);
    expect(outcome.body.error ?? outcome.body.message).toMatch(/too large|larger than/i);
    expect(outcome.rows).toEqual([]);
    expect(outcome.letters).toEqual([]);
  });

  it('20 MB single lines within a raised body limit: the valid record lands, the malformed ones get short reasons', async () => {
    webhook = startWebhook(128 << 20);
    const rendered = render(hugeLineCase(), 'ndjson');
    expectAnswered(await webhook.post(NDJSON, rendered.content), rendered, 'webhook NDJSON, 20 MB lines');
  }, 60_000);
});
