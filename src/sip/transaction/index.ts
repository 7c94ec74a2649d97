export { createTransactionLayer, DEFAULT_TIMERS, viaFor, type CountedTransactionLayer, type TransactionLayerOptions } from './layer.js';
export { MAGIC_COOKIE, newBranch, newTag } from '../ids.js';
export * from './types.js';
