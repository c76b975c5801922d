/** HTTP front-door pieces every Sluice server shares. */
export { HttpError } from '../errors.js';
export { bodyMediaTypes, bodyTypeOf, describeTypes, parseContentType, requireBodyType, type BodyType } from './content-type.js';
export { bodyEncoding, readBody, type BodyEncoding, type ReadBodyOptions, type RequestBody } from './read-body.js';
export { bearerChallenge, bearerToken, hasBearerToken, isLoopbackHost, listenHost, tokenOption } from './auth.js';
export { errorAnswer, newRequestId, stderrLog, type ErrorAnswer, type ErrorLog } from './error-answer.js';
export { integerParam } from './query.js';
export { fastifyTimeouts, httpServerOptions, resolveTimeouts, type ServerTimeouts } from './timeouts.js';
export { createClientLimit, type ClientLimit } from './client-limit.js';
