// Entry of the bundled language server (dist/server.js).
// `createConnection(ProposedFeatures.all)` picks the transport from the
// command line: `--node-ipc` when VS Code's client launches it over IPC,
// `--stdio` for other editors and the protocol tests, `--socket=N`.
// Over stdio, stdout carries the protocol, so console output is sent to the
// client's log instead.
//
// The same file is the analysis workers' entry: started as a worker thread it
// only serves analysis jobs (analysis/worker.ts listens on its parent port), so
// the planning code both sides use ships once in the extension.
import { isMainThread } from 'node:worker_threads';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';
import '../analysis/worker';

const toLog =
  (send: (m: string) => void) =>
  (...args: unknown[]): void =>
    send(args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' '));

function safeInspect(a: unknown): string {
  if (a instanceof Error) return a.stack ?? a.message;
  try {
    return JSON.stringify(a);
  } catch {
    return String(a);
  }
}

if (isMainThread) {
  const connection = createConnection(ProposedFeatures.all);
  console.log = toLog((m) => connection.console.log(m));
  console.info = toLog((m) => connection.console.info(m));
  console.warn = toLog((m) => connection.console.warn(m));
  console.error = toLog((m) => connection.console.error(m));

  process.on('uncaughtException', (e) => console.error('moeplan server: uncaught exception:', e));
  process.on('unhandledRejection', (e) => console.error('moeplan server: unhandled rejection:', e));

  startServer(connection);
  connection.listen();
}
