export { createTransactionLayer, DEFAULT_TIMERS, type CountedTransactionLayer, type TransactionLayerOptions } from './layer.js';
export * from './types.js';
