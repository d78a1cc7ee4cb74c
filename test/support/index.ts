export * from './oracle.js';
export * from './paths.js';
