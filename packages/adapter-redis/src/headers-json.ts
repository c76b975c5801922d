/**
 * Headers ↔ JSON, memoised on the last headers seen. A pipeline's envelopes nearly always carry the
 * same headers (ingest sets `source` on each), so most envelopes cost a comparison instead of a
 * `JSON.stringify` or a `JSON.parse`. The memo only saves work: results never depend on it.
 */
import type { Headers } from '@sluice/core';
import { EnvelopeEncodeError } from './errors.js';

/** What is wrong with a headers text that does not decode. */
export type HeadersProblem = 'is not JSON' | 'is not an object of strings';

/** Names and values of the headers last encoded, and their JSON. */
let encodedNames: string[] = [];
let encodedValues: string[] = [];
let encodedJson = '{}';

/**
 * The JSON of `headers` (`{}` when undefined). Throws `EnvelopeEncodeError` unless it is an object
 * whose own enumerable values are all strings.
 */
export function encodeHeaders(headers: unknown): string {
  if (headers === undefined) return '{}';
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw notHeaders();
  let count = 0;
  let same = true;
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value: unknown = (headers as Record<string, unknown>)[name];
    if (typeof value !== 'string') throw notHeaders();
    if (same && (encodedNames[count] !== name || encodedValues[count] !== value)) same = false;
    count++;
  }
  if (same && count === encodedNames.length) return encodedJson;
  const record = headers as Headers;
  encodedNames = Object.keys(record);
  encodedValues = encodedNames.map((name) => record[name]!);
  encodedJson = JSON.stringify(record);
  return encodedJson;
}

/** The text and the headers of the last headers text decoded. */
let decodedText: string | undefined;
let decodedHeaders: Headers = {};

/** A fresh headers object decoded from `text`, or what is wrong with `text`. */
export function decodeHeaders(text: string): Headers | HeadersProblem {
  if (text !== decodedText) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'is not JSON';
    }
    if (!isHeaders(parsed)) return 'is not an object of strings';
    decodedText = text;
    decodedHeaders = parsed;
  }
  return { ...decodedHeaders };
}

function isHeaders(value: unknown): value is Headers {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function notHeaders(): EnvelopeEncodeError {
  return new EnvelopeEncodeError('headers must be an object whose values are strings');
}
