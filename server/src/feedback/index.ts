// Feedback from analysis results: pure functions shared by the language
// server, the CLI and the tests.
export * from './codes';
export * from './diagnostics';
export * from './hover';
export * from './lenses';
export * from './inlay';
export * from './figures';
export * from './paging';
