export * from './analyze.js';
export * from './format.js';
export * from './sip.js';
export * from './extract.js';
export * from './audio-file.js';
export * from './audio-streams.js';
export * from './stream.js';
