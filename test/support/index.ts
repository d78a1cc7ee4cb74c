export * from './oracle.js';
export * from './paths.js';
export * from './random.js';
