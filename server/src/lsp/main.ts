// Entry of the bundled language server (dist/server.js).
// `createConnection(ProposedFeatures.all)` picks the transport from the
// command line: `--node-ipc` when VS Code's client launches it over IPC,
// `--stdio` for other editors and the protocol tests, `--socket=N`.
// Over stdio, stdout carries the protocol, so console output is sent to the
// client's log instead.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);

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

console.log = toLog((m) => connection.console.log(m));
console.info = toLog((m) => connection.console.info(m));
console.warn = toLog((m) => connection.console.warn(m));
console.error = toLog((m) => connection.console.error(m));

process.on('uncaughtException', (e) => console.error('moeplan server: uncaught exception:', e));
process.on('unhandledRejection', (e) => console.error('moeplan server: unhandled rejection:', e));

startServer(connection);
connection.listen();
