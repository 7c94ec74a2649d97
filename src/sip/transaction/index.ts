export { createTransactionLayer, DEFAULT_TIMERS, viaFor, type CountedTransactionLayer, type TransactionLayerOptions } from './layer.js';
export { MAGIC_COOKIE, newBranch, newTag } from './branch.js';
export * from './types.js';
