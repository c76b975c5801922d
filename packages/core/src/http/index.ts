export { httpSource, type HttpSourceOptions } from './http-source.js';
