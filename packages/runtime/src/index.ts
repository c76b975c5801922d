/**
 * @sluice/runtime: what every runnable Sluice pipeline shares — brokers and stores opened by URL,
 * a progress view, Server-Sent Events of a pipeline's status, graceful shutdown, and command-line
 * parsing. Adapter packages load only when their URL is opened.
 */
export { AdapterMissingError, AdapterUrlError, UsageError } from './errors.js';
export { passwordOf, redact, scrub } from './redact.js';
export { brokerUrlForms, parseBrokerUrl, parseStoreUrl, rabbitMqUrl, storeUrlForms, type BrokerTarget, type StoreTarget } from './adapters/urls.js';
export { defaultBrokerUrl, defaultStoreUrl } from './adapters/defaults.js';
export { openBroker, openBrokerTarget, openStore, openStoreTarget, type OpenBrokerOptions, type OpenStoreOptions } from './adapters/open.js';
export { foldProgress, fractionDone, recordsDone, type PipelineProgress, type ProgressTotal } from './progress/totals.js';
export { formatDuration, formatProgressLine, rateOf } from './progress/format.js';
export { createProgressView, showProgress, type ProgressStream, type ProgressView, type ProgressViewOptions, type TrackOptions } from './progress/view.js';
export { parseLastEventId, sseComment, sseHeaders, sseMessage, wantsEventStream } from './sse/format.js';
export { EventLog, type Numbered } from './sse/event-log.js';
export { createSseResponder, sseRoute, type FastifyLikeReply, type SseResponder, type SseResponderOptions } from './sse/responder.js';
export { createShutdown, type Closable, type Shutdown, type ShutdownOptions } from './shutdown.js';
export { HelpRequested, asksForHelp, parseCommandLine, type OptionDef, type OptionValues, type ParsedCommandLine } from './cli/parse.js';
export { choiceOption, integerOption, numberOption, required } from './cli/values.js';
export { describeExit, runMain } from './cli/main.js';
export * from './http/index.js';
