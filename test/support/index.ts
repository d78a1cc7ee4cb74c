export * from './oracle.js';
export * from './paths.js';
export * from './random.js';
export * from './npm.js';
export * from './workspaces.js';
export * from './sink.js';
export * from './hostile-files.js';
export * from './local-model.js';
