export * from './machine-data.js';
export * from "./validate.js";
