// Every request handler runs through `safely`: an exception in a feature is
// logged and answered with an empty result, never a dead server.
import type { Connection } from 'vscode-languageserver';

export type Logger = (message: string) => void;

export function safely<P, R, F>(log: Logger, name: string, fallback: F, handler: (params: P) => R | Promise<R>): (params: P) => Promise<R | F> {
  return async (params: P) => {
    try {
      return await handler(params);
    } catch (e) {
      log(`moeplan: ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fallback;
    }
  };
}

export function logger(connection: Connection): Logger {
  return (m) => {
    try {
      connection.console.error(m);
    } catch {
      // The connection is gone; nothing left to tell.
    }
  };
}
